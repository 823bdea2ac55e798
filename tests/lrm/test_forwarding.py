"""Forwarding through the local RabbitMQ and the Hub stand-in: delivery and final ack, each
error code's path, order per appointment, no version integrated twice, an invalid message
never published."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections import deque

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from sas_core.appointments.forwarding import DeliveryStore
from sas_lrm.forwarder import ERROR_POLICY, Forwarder
from sas_lrm.settings import LrmSettings
from sas_lrm.standin import Answers, HubStandIn, Topology
from sas_lrm.transport import connect

from .conftest import Platform, running_hub, start_sas, until

pytestmark = pytest.mark.anyio


async def test_versions_are_delivered_in_order_and_acknowledged(
    broker: str, platform: Platform, engine: Engine, lrm_settings: LrmSettings, samu: str
) -> None:
    async with running_hub(engine, lrm_settings, samu) as hub:
        appointment_id = await asyncio.to_thread(platform.book, "a-1")
        await asyncio.to_thread(platform.change, "a-1", "cancelled")
        await until(lambda: hub.counts()["delivered"] == 2, what="two final acks")
    sent = hub.lrm.appointments[appointment_id]
    assert [(a["method"], a["status"]) for a in sent] == [
        ("CreateAppointment", "booked"),
        ("UpdateAppointment", "cancelled"),
    ]
    messages = DeliveryStore(engine).of_appointment(uuid.UUID(appointment_id))
    assert all(m.delivered_at is not None and m.attempts == 1 for m in messages)


async def test_a_later_version_waits_for_the_earlier_ones_final_ack(
    broker: str, platform: Platform, engine: Engine, lrm_settings: LrmSettings, samu: str
) -> None:
    settings = lrm_settings.model_copy(update={"ack_timeout_s": 1.0})
    answers = Answers(script=deque(["silent"]))
    async with running_hub(engine, settings, samu, answers) as hub:
        appointment_id = await asyncio.to_thread(platform.book, "a-2")
        await asyncio.to_thread(platform.change, "a-2", "fulfilled")
        await until(lambda: hub.counts()["delivered"] == 2, what="both delivered")
    # v1 was integrated but its ack never came: sent again after the deadline (same id), the
    # LRM discarded the copy; v2 went only after v1's ack.
    received = hub.lrm.received
    v1, v2 = (
        m.distribution_id for m in DeliveryStore(engine).of_appointment(uuid.UUID(appointment_id))
    )
    assert received == [v1, v1, v2]
    assert len(hub.lrm.appointments[appointment_id]) == 2


@pytest.mark.parametrize("code", sorted(ERROR_POLICY))
async def test_each_error_code_follows_its_policy(
    code: int,
    broker: str,
    platform: Platform,
    engine: Engine,
    lrm_settings: LrmSettings,
    samu: str,
) -> None:
    answers = Answers(script=deque([str(code)]))
    async with running_hub(engine, lrm_settings, samu, answers) as hub:
        appointment_id = await asyncio.to_thread(platform.book, f"e-{code}")
        store = DeliveryStore(engine)

        def settled() -> bool:
            (message,) = store.of_appointment(uuid.UUID(appointment_id))
            return message.state in ("delivered", "parked")

        await until(settled, what=f"the answer to {code}")
    (message,) = store.of_appointment(uuid.UUID(appointment_id))
    reaction = ERROR_POLICY[code]
    if reaction == "park":
        assert message.state == "parked"
        assert message.last_error_code == code
        assert str(code) in (message.last_error or "")
        assert hub.lrm.appointments == {}
    elif reaction == "delivered":  # 409: the LRM already has it
        assert message.state == "delivered"
    else:  # retried, then acknowledged
        assert message.state == "delivered"
        assert message.attempts == 2 and message.last_error_code == code
        assert len(hub.lrm.appointments[appointment_id]) == 1


async def test_retries_end_parked_after_max_attempts(
    broker: str, platform: Platform, engine: Engine, lrm_settings: LrmSettings, samu: str
) -> None:
    async with running_hub(engine, lrm_settings, samu, Answers(default="500")) as hub:
        appointment_id = await asyncio.to_thread(platform.book, "a-3")
        await until(lambda: hub.counts()["parked"] == 1, what="parked")
    (message,) = DeliveryStore(engine).of_appointment(uuid.UUID(appointment_id))
    assert message.attempts == lrm_settings.max_attempts
    assert "500 DEAD_LETTER_QUEUED" in (message.last_error or "")


async def test_an_invalid_message_is_never_published(
    broker: str, engine: Engine, lrm_settings: LrmSettings, samu: str
) -> None:
    store = DeliveryStore(engine)
    bad = {"appointment": {"appointmentId": "x", "method": "createAppointment"}}
    store.record(
        uuid.uuid4(),
        1,
        distribution_id=f"{lrm_settings.client_id}_x.v1",
        recipient=samu,
        payload=bad,
    )
    async with running_hub(engine, lrm_settings, samu) as hub:
        await until(lambda: hub.counts()["failed"] == 1, what="failed")
        await asyncio.sleep(0.3)
    (failed,) = store.messages(["failed"])
    assert "invalid against" in (failed.last_error or "") and "method" in (failed.last_error or "")
    assert hub.lrm.received == []


async def test_a_broker_that_is_down_keeps_messages_pending(
    platform: Platform, engine: Engine, lrm_settings: LrmSettings
) -> None:
    """No broker: the outbox is told all the same, and the message waits, visible."""
    await asyncio.to_thread(platform.book, "a-4")
    counts = DeliveryStore(engine).counts()
    assert counts["pending"] == 1
    settings = lrm_settings.model_copy(
        update={"amqp_url": SecretStr("amqp://guest:guest@127.0.0.1:9/")}
    )
    with pytest.raises(OSError):
        await Forwarder(engine, settings).run(asyncio.Event())
    assert DeliveryStore(engine).counts()["pending"] == 1


async def test_the_stand_in_command_with_its_forwarder_delivers(
    broker: str, platform: Platform, engine: Engine, lrm_settings: LrmSettings, samu: str
) -> None:
    """`sas lrm hub-standin --forward`, as `make run` starts it: the registered SAMU's fake LRM
    acknowledges what the forwarder beside it publishes; SIGTERM stops both."""
    appointment_id = await asyncio.to_thread(platform.book, "c-1")
    process = start_sas("lrm", "hub-standin", "--forward")
    try:
        store = DeliveryStore(engine)
        await until(lambda: store.counts()["delivered"] == 1, what="delivered by the command")
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
        connection = await connect(lrm_settings)
        async with connection:
            await HubStandIn(
                connection,
                clients=[lrm_settings.client_id, samu],
                topology=Topology.for_exchange(lrm_settings.exchange),
            ).delete()
    assert process.returncode == 0, errors.decode()
    assert f"clients {samu}, {lrm_settings.client_id}" in " ".join(errors.decode().split())
    (message,) = store.of_appointment(uuid.UUID(appointment_id))
    assert message.state == "delivered"
