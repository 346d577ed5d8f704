"""Dash dashboards of the PUE twin (the top layer: imports twin, never imported by it).

The app arrives with the dashboard issue; the package exists now so that the distribution
installs the four packages of the design card.
"""
