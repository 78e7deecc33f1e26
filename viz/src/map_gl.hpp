// The OpenGL side of the map: the field texture and the residents as one vertex buffer
// of points (drawn with one glDrawArrays, moving smoothly between two positions).
#pragma once
#include <cstdint>
#include <vector>

#include "colormap.hpp"

namespace citysim::viz {

struct PointVertex {
  float prev_x, prev_y;  // world position at the previous frame
  float cur_x, cur_y;    // world position at the latest frame
  Rgba color;
};

class MapGl {
 public:
  MapGl();
  ~MapGl();
  MapGl(const MapGl&) = delete;
  MapGl& operator=(const MapGl&) = delete;

  // the field layer: cols x rows RGBA, row 0 = north
  void upload_field(const std::vector<Rgba>& pixels, int cols, int rows);
  unsigned field_texture() const { return texture_; }

  void upload_points(const std::vector<PointVertex>& points);
  // draw the points: world -> NDC is ndc = world * scale + offset; t blends prev -> cur;
  // alpha fades them when zoomed out so the field stays readable
  void draw_points(float scale_x, float scale_y, float offset_x, float offset_y, float t, float size_px, float alpha) const;

 private:
  unsigned texture_ = 0, program_ = 0, vao_ = 0, vbo_ = 0;
  int u_xform_ = -1, u_t_ = -1, u_size_ = -1, u_alpha_ = -1;
  size_t points_ = 0, capacity_ = 0;
};

// framebuffer object for headless screenshots; it owns its GL objects, so it moves but
// never copies (a copy would delete them twice)
class OffscreenTarget {
 public:
  OffscreenTarget(int width, int height);
  ~OffscreenTarget();
  OffscreenTarget(const OffscreenTarget&) = delete;
  OffscreenTarget& operator=(const OffscreenTarget&) = delete;
  OffscreenTarget(OffscreenTarget&& other) noexcept;
  OffscreenTarget& operator=(OffscreenTarget&& other) noexcept;
  void bind() const;
  // RGBA, row 0 = top
  std::vector<uint8_t> read() const;

 private:
  void release() noexcept;
  int width_, height_;
  unsigned fbo_ = 0, color_ = 0, depth_ = 0;
};

}  // namespace citysim::viz
