"""Attaché: a desktop attachment manager for awork, ONLYOFFICE Workspace and SuperOffice CRM."""

__version__ = "0.1.0"
