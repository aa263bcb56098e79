"""Declarative GitOps reconciler for Webex Wholesale provisioning through Partner Hub."""

__version__ = "0.1.0"
