"""The contract test kit (its own issue): contracts that run against the fake or the real API."""
