"""Outgoing e-mail: queued in the transaction of the change that sends it, sent after commit."""
