"""Appointments reported by vendors (INT_R03), their status history, and the outbox.

Revision ID: c149e6b9d0e1
Revises: 5e0a9c3d7b21
Create Date: 2026-11-26 08:19:27.240799

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = 'c149e6b9d0e1'
down_revision: str | Sequence[str] | None = '5e0a9c3d7b21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('appointments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('identifier_system', sa.String(length=500), nullable=False),
    sa.Column('identifier_value', sa.String(length=500), nullable=False),
    sa.Column('vendor', sa.String(length=100), nullable=False),
    sa.Column('profile', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('participant_status', sa.String(length=16), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('operator_type', sa.String(length=8), nullable=False),
    sa.Column('operator_system', sa.String(length=100), nullable=False),
    sa.Column('operator_value', sa.String(length=200), nullable=False),
    sa.Column('practitioner_idnps', sa.String(length=20), nullable=True),
    sa.Column('structure_idnst', sa.String(length=20), nullable=True),
    sa.Column('review_reasons', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('resource', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("profile IN ('ps', 'sos')", name=op.f('ck_appointments_profile')),
    sa.CheckConstraint("status IN ('pending', 'booked', 'fulfilled', 'noshow', 'cancelled')", name=op.f('ck_appointments_status')),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_appointments_appointment_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('vendor', 'identifier_system', 'identifier_value', name=op.f('uq_appointments_vendor_identifier_system_identifier_value'))
    )
    op.create_index('ix_appointments_operator', 'appointments', ['operator_system', 'operator_value'], unique=False)
    op.create_index('ix_appointments_practitioner_start', 'appointments', ['practitioner_idnps', 'start_at'], unique=False)
    op.create_index('ix_appointments_vendor_start', 'appointments', ['vendor', 'start_at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_index('ix_outbox_pending', 'outbox', ['delivered_at', 'next_attempt_at'], unique=False)

    op.create_table('appointment_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('appointment_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('previous_status', sa.String(length=16), nullable=True),
    sa.Column('vendor', sa.String(length=100), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resource', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'booked', 'fulfilled', 'noshow', 'cancelled')", name=op.f('ck_appointment_history_status')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_appointment_history_appointment_id_appointments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_history')),
    sa.UniqueConstraint('appointment_id', 'version', name=op.f('uq_appointment_history_appointment_id_version'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('appointment_history')
    op.drop_index('ix_outbox_pending', table_name='outbox')
    op.drop_table('outbox')
    op.drop_index('ix_appointments_vendor_start', table_name='appointments')
    op.drop_index('ix_appointments_practitioner_start', table_name='appointments')
    op.drop_index('ix_appointments_operator', table_name='appointments')
    op.drop_table('appointments')
