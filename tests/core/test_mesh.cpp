#define BOOST_TEST_MODULE mesh
#include <boost/test/unit_test.hpp>

#include "citysim/mesh.hpp"

using namespace citysim;

BOOST_AUTO_TEST_CASE(tokyo_station_is_in_53394611) {
  const MeshIndex i = mesh_index_of(MeshLevel::Third, 35.6812, 139.7671);
  BOOST_TEST(mesh_code(MeshLevel::Third, i) == 53394611ULL);
  // the half and quarter meshes containing it: NW half (3), then the quarter's SE (2)
  BOOST_TEST(mesh_code(MeshLevel::Half, mesh_index_of(MeshLevel::Half, 35.6812, 139.7671)) == 533946113ULL);
  BOOST_TEST(mesh_code(MeshLevel::Quarter, mesh_index_of(MeshLevel::Quarter, 35.6812, 139.7671)) == 5339461132ULL);
}

BOOST_AUTO_TEST_CASE(cell_centre_of_53394611) {
  // SW corner 35°40'30" N = 35.675, 139°45'45" E = 139.7625; 30" x 45" cells
  MeshLevel level;
  const MeshIndex i = mesh_index_from_code(53394611ULL, &level);
  BOOST_TEST(int(level) == int(MeshLevel::Third));
  BOOST_TEST(mesh_center_lat(level, i) == 35.675 + 15.0 / 3600, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(mesh_center_lon(level, i) == 139.7625 + 22.5 / 3600, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(code_round_trips_at_every_level) {
  for (MeshLevel level : {MeshLevel::Third, MeshLevel::Half, MeshLevel::Quarter})
    for (double lat = 24.1; lat < 36.0; lat += 0.37)
      for (double lon = 122.3; lon < 153.9; lon += 0.91) {
        const MeshIndex i = mesh_index_of(level, lat, lon);
        const uint64_t code = mesh_code(level, i);
        MeshLevel back_level;
        BOOST_TEST((mesh_index_from_code(code, &back_level) == i));
        BOOST_TEST(int(back_level) == int(level));
        // the centre maps back to the same cell
        BOOST_TEST((mesh_index_of(level, mesh_center_lat(level, i), mesh_center_lon(level, i)) == i));
      }
}

BOOST_AUTO_TEST_CASE(points_on_cell_edges_belong_to_the_cell_to_the_north_east) {
  // 35.675 N 139.7625 E is exactly the SW corner of 53394611
  BOOST_TEST(mesh_code(MeshLevel::Third, mesh_index_of(MeshLevel::Third, 35.675, 139.7625)) == 53394611ULL);
}

BOOST_AUTO_TEST_CASE(malformed_codes_are_rejected) {
  BOOST_CHECK_THROW(mesh_index_from_code(1234), std::invalid_argument);       // too few digits
  BOOST_CHECK_THROW(mesh_index_from_code(53398611ULL), std::invalid_argument);  // 2nd-level digit 8
  BOOST_CHECK_THROW(mesh_index_from_code(533946115ULL), std::invalid_argument); // half digit 5
  BOOST_CHECK_THROW(mesh_level_from_cell_m(300), std::invalid_argument);
}
