"""The building: IT load, electrical chain, fluids, cooling designs and the facility block."""
