"""The money: capital, operating cost and tariffs."""
