// PNG files through libpng: the screenshot writer and the reader the tests use.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace citysim::viz {

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;  // width x height x 4, row 0 = top
};

// throws std::runtime_error naming the file on failure
void write_png(const std::string& path, const Image& image);
Image read_png(const std::string& path);

}  // namespace citysim::viz
