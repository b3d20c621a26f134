"""Complaints and accountability cases: records arrive with the cases issue."""
