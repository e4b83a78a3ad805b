"""Governance: the lineage graph of a project, its dictionary, glossary and physical metadata."""
