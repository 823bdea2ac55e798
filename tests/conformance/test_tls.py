"""TLS-01 to TLS-06 against the simulator over real mutual TLS: a strict vendor refuses every
certificate it must; a vendor that checks only the CA is caught for CN, OU and revocation."""

from __future__ import annotations

from sas_core.conformance import ClientTls, RefusalCerts, Status, run
from sas_simulator.dataset import Dataset
from sas_testkit.pki import Pki
from sas_testkit.vendors import mtls_vendor

TLS_CHECKS = [f"TLS-0{n}" for n in range(1, 7)]


def tls_report(pki: Pki, base_url: str) -> dict[str, tuple[Status, str]]:
    report = run(
        base_url,
        "ps",
        tls=ClientTls(pki.client_cert, pki.client_key, pki.vendor_ca),
        refusal=RefusalCerts(pki.wrong_cn_client, pki.wrong_ou_client, pki.revoked_client),
        only=TLS_CHECKS,
        deadline_s=30,
    )
    return {r.id: (r.status, r.detail) for r in report.results}


def test_a_strict_vendor_passes_every_tls_check(sas_pki: Pki, sas_dataset: Dataset) -> None:
    with mtls_vendor(sas_pki, sas_dataset, strict=True) as server:
        found = tls_report(sas_pki, server.base_url)

    skipped = {k for k, (status, _) in found.items() if status is Status.SKIPPED}
    # TLS-02 needs an OpenSSL able to offer TLS 1.1; it says so when it cannot.
    assert skipped <= {"TLS-02"}, found
    assert all(status is not Status.FAILED for status, _ in found.values()), found
    assert found["TLS-01"][1].startswith(("TLSv1.2", "TLSv1.3"))


def test_a_vendor_checking_only_the_ca_is_caught(sas_pki: Pki, sas_dataset: Dataset) -> None:
    with mtls_vendor(sas_pki, sas_dataset) as server:
        found = tls_report(sas_pki, server.base_url)

    assert found["TLS-03"][0] is Status.PASSED
    for check in ("TLS-04", "TLS-05", "TLS-06"):
        assert found[check][0] is Status.FAILED and "accepted" in found[check][1]


def test_refusal_checks_without_their_certificate_are_skipped(
    sas_pki: Pki, sas_dataset: Dataset
) -> None:
    with mtls_vendor(sas_pki, sas_dataset) as server:
        report = run(
            server.base_url,
            tls=ClientTls(sas_pki.client_cert, sas_pki.client_key, sas_pki.vendor_ca),
            only=["TLS-04"],
        )
    assert report.results[0].status is Status.SKIPPED
    assert "--wrong-cn-cert" in report.results[0].detail


def test_an_untrusted_server_certificate_is_a_failed_check(
    sas_pki: Pki, sas_dataset: Dataset
) -> None:
    with mtls_vendor(sas_pki, sas_dataset, rogue=True) as server:
        report = run(
            server.base_url,
            tls=ClientTls(sas_pki.client_cert, sas_pki.client_key, sas_pki.vendor_ca),
            only=["CAP-01"],
            deadline_s=20,
        )
    assert report.results[0].status is Status.FAILED
    assert "TLS failure" in report.results[0].detail
