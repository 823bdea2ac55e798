"""The platform's background jobs and the scheduler that runs each once per cluster."""
