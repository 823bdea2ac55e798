from sas_core.cli import main

main()
