"""The Return portal API: the public, JWT-protected half of Sendcloud's returns."""
