"""Grid helpers: mesh code <-> (row, col) <-> latitude/longitude, municipalities."""
import numpy as np
import pytest

import citysim


def test_mesh_code_of_tokyo_station():
    # Tokyo Station (35.681236 N, 139.767125 E) lies in 3rd mesh 5339-46-11 (JIS X 0410:
    # 1st mesh 5339 = floor(lat*1.5), lon-100; 2nd 4,6 = 5' x 7.5'; 3rd 1,1 = 30" x 45")
    assert citysim.mesh_code(35.681236, 139.767125) == 53394611
    assert citysim.mesh_code(35.681236, 139.767125, cell_m=500) // 10 == 53394611
    lat, lon = citysim.mesh_center(53394611)
    assert lat == pytest.approx(53 / 1.5 + 4 / 12 + 1.5 / 120)  # 1st + 2nd (5') + 3rd and half a cell (30")
    assert lon == pytest.approx(139 + 6 / 8 + 1.5 / 80)  # 1st + 2nd (7.5') + 3rd and half a cell (45")
    assert citysim.mesh_code(lat, lon) == 53394611
    with pytest.raises(ValueError):
        citysim.mesh_code(35.68, 139.77, cell_m=300)


def test_grid_round_trips(small):
    sim = citysim.Simulation(small(), threads=1)
    g = sim.grid
    assert g.cell_m == 1000 and g.shape == sim.field("residents/present").shape
    assert g.municipality_names == ["Chiyoda", "Chuo", "Bunkyo", "Taito"]
    assert list(g.municipalities.index) == [13101, 13102, 13105, 13106]
    land = np.argwhere(g.municipality != 0)
    for r, c in land[:: max(1, len(land) // 20)]:
        code = g.code_at(r, c)
        assert g.cell_of_code(code) == (r, c)
        assert g.rowcol_at(*g.latlon_of(r, c)) == (r, c)
        assert citysim.mesh_code(*g.latlon_of(r, c)) == code
    chiyoda = g.municipalities.loc[13101]
    r, c = g.rowcol_at(chiyoda.lat, chiyoda.lon)
    assert g.municipality[r, c] == 13101  # the ward office is in the ward
    with pytest.raises(KeyError):
        g.cell_of_code(53390000)
    with pytest.raises(KeyError):
        g.rowcol_at(43.06, 141.35)  # Sapporo


def test_by_municipality_sums_the_cells(small):
    sim = citysim.Simulation(small(), threads=1).run(until=120, progress=False)
    present = sim.field("residents/present")
    per = sim.grid.by_municipality(present)
    assert list(per.index) == sim.grid.municipality_names
    assert per.sum() == pytest.approx(float(np.nansum(np.where(sim.grid.municipality != 0, present, 0))))
    last = sim.series("residents/present_by_municipality").iloc[-1]
    assert np.allclose(per.to_numpy(), last.to_numpy())
    with pytest.raises(ValueError):
        sim.grid.by_municipality(np.zeros(3))


def test_real_boundaries_are_in_the_grid_and_the_results_file(small, tmp_path):
    sim = citysim.Simulation(small(), threads=1)
    g = sim.grid
    assert sorted({code for code, _, _ in g.outlines}) == [13101, 13102, 13105, 13106]
    assert "国土数値情報" in g.credit and "MLIT" in g.credit
    assert np.all((g.land_share >= 0) & (g.land_share <= 1)) and np.all(g.land_share[g.municipality != 0] > 0)
    # each ring in image coordinates lies over its own municipality: the cell under the
    # mean of its vertices is the cell that holds that point's lat/lon, and is the ward's
    for (code, lon, lat), ring in zip(g.outlines, g.outline_rowcol()):
        r, c = np.round(ring.mean(axis=0)).astype(int)
        assert (r, c) == g.rowcol_at(float(lat.mean()), float(lon.mean()))
        assert g.municipality[r, c] == code, code
    sim.run(progress=False).save(str(tmp_path / "r.h5"))
    res = citysim.open(str(tmp_path / "r.h5"))
    assert res.grid.credit == g.credit and len(res.grid.outlines) == len(g.outlines)
    for (a, lon_a, lat_a), (b, lon_b, lat_b) in zip(res.grid.outlines, g.outlines):
        assert a == b and np.array_equal(lon_a, lon_b) and np.array_equal(lat_a, lat_b)
    assert np.array_equal(res.grid.land_share, g.land_share)
