"""Energy and visitors: meters, readings, consumption and disputes, energy rates, visitors paying on arrival."""

from marina_portal.models import (
    Consumption,
    ConsumptionDispute,
    EnergyLump,
    EnergyRate,
    Meter,
    MeterReading,
    VisitorDesk,
    VisitorNight,
    VisitorStay,
)


def apply(db):
    db.create_tables(
        [
            Meter,
            MeterReading,
            Consumption,
            ConsumptionDispute,
            EnergyRate,
            EnergyLump,
            VisitorDesk,
            VisitorStay,
            VisitorNight,
        ],
        safe=True,
    )
