#define GL_GLEXT_PROTOTYPES 1
#include "map_gl.hpp"

#include <GL/gl.h>
#include <GL/glext.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace citysim::viz {

namespace {

const char* kVertex = R"(#version 330 core
layout(location = 0) in vec2 a_prev;
layout(location = 1) in vec2 a_cur;
layout(location = 2) in vec4 a_color;
uniform vec4 u_xform;
uniform float u_t;
uniform float u_size;
uniform float u_alpha;
out vec4 v_color;
void main() {
  vec2 p = mix(a_prev, a_cur, u_t);
  gl_Position = vec4(p * u_xform.xy + u_xform.zw, 0.0, 1.0);
  gl_PointSize = u_size;
  v_color = vec4(a_color.rgb, a_color.a * u_alpha);
})";

// round, softly edged dots
const char* kFragment = R"(#version 330 core
in vec4 v_color;
out vec4 o_color;
void main() {
  vec2 d = gl_PointCoord - vec2(0.5);
  float r2 = dot(d, d);
  if (r2 > 0.25) discard;
  o_color = vec4(v_color.rgb, v_color.a * smoothstep(0.25, 0.12, r2));
})";

GLuint compile(GLenum kind, const char* source) {
  const GLuint s = glCreateShader(kind);
  glShaderSource(s, 1, &source, nullptr);
  glCompileShader(s);
  GLint ok = 0;
  glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[1024];
    glGetShaderInfoLog(s, sizeof log, nullptr, log);
    throw std::runtime_error(std::string("point shader: ") + log);
  }
  return s;
}

}  // namespace

MapGl::MapGl() {
  glGenTextures(1, &texture_);
  glBindTexture(GL_TEXTURE_2D, texture_);
  // nearest: each mesh cell stays a crisp square
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);

  const GLuint vs = compile(GL_VERTEX_SHADER, kVertex), fs = compile(GL_FRAGMENT_SHADER, kFragment);
  program_ = glCreateProgram();
  glAttachShader(program_, vs);
  glAttachShader(program_, fs);
  glLinkProgram(program_);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(program_, GL_LINK_STATUS, &ok);
  if (!ok) throw std::runtime_error("point shader: link failed");
  u_xform_ = glGetUniformLocation(program_, "u_xform");
  u_t_ = glGetUniformLocation(program_, "u_t");
  u_size_ = glGetUniformLocation(program_, "u_size");
  u_alpha_ = glGetUniformLocation(program_, "u_alpha");

  glGenVertexArrays(1, &vao_);
  glGenBuffers(1, &vbo_);
  glBindVertexArray(vao_);
  glBindBuffer(GL_ARRAY_BUFFER, vbo_);
  const auto stride = GLsizei(sizeof(PointVertex));
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<void*>(offsetof(PointVertex, prev_x)));
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<void*>(offsetof(PointVertex, cur_x)));
  glEnableVertexAttribArray(2);
  glVertexAttribPointer(2, 4, GL_UNSIGNED_BYTE, GL_TRUE, stride, reinterpret_cast<void*>(offsetof(PointVertex, color)));
  glBindVertexArray(0);
}

MapGl::~MapGl() {
  glDeleteBuffers(1, &vbo_);
  glDeleteVertexArrays(1, &vao_);
  glDeleteProgram(program_);
  glDeleteTextures(1, &texture_);
}

void MapGl::upload_field(const std::vector<Rgba>& pixels, int cols, int rows) {
  glBindTexture(GL_TEXTURE_2D, texture_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, cols, rows, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
}

void MapGl::upload_points(const std::vector<PointVertex>& points) {
  glBindBuffer(GL_ARRAY_BUFFER, vbo_);
  const auto bytes = GLsizeiptr(points.size() * sizeof(PointVertex));
  if (points.size() > capacity_) {
    glBufferData(GL_ARRAY_BUFFER, bytes, points.data(), GL_DYNAMIC_DRAW);
    capacity_ = points.size();
  } else {
    glBufferSubData(GL_ARRAY_BUFFER, 0, bytes, points.data());
  }
  points_ = points.size();
}

void MapGl::draw_points(float sx, float sy, float ox, float oy, float t, float size_px, float alpha) const {
  if (points_ == 0) return;
  glUseProgram(program_);
  glUniform4f(u_xform_, sx, sy, ox, oy);
  glUniform1f(u_t_, t);
  glUniform1f(u_size_, size_px);
  glUniform1f(u_alpha_, alpha);
  glEnable(GL_PROGRAM_POINT_SIZE);
  glEnable(GL_BLEND);
  glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
  glDisable(GL_SCISSOR_TEST);
  glBindVertexArray(vao_);
  glDrawArrays(GL_POINTS, 0, GLsizei(points_));
  glBindVertexArray(0);
}

OffscreenTarget::OffscreenTarget(int width, int height) : width_(width), height_(height) {
  glGenFramebuffers(1, &fbo_);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glGenRenderbuffers(1, &color_);
  glBindRenderbuffer(GL_RENDERBUFFER, color_);
  glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, width, height);
  glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, color_);
  glGenRenderbuffers(1, &depth_);
  glBindRenderbuffer(GL_RENDERBUFFER, depth_);
  glRenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH24_STENCIL8, width, height);
  glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_STENCIL_ATTACHMENT, GL_RENDERBUFFER, depth_);
  if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE)
    throw std::runtime_error("cannot create a " + std::to_string(width) + "x" + std::to_string(height) +
                             " offscreen framebuffer");
}

OffscreenTarget::~OffscreenTarget() { release(); }

OffscreenTarget::OffscreenTarget(OffscreenTarget&& other) noexcept
    : width_(other.width_),
      height_(other.height_),
      fbo_(std::exchange(other.fbo_, 0u)),
      color_(std::exchange(other.color_, 0u)),
      depth_(std::exchange(other.depth_, 0u)) {}

OffscreenTarget& OffscreenTarget::operator=(OffscreenTarget&& other) noexcept {
  if (this != &other) {
    release();
    width_ = other.width_, height_ = other.height_;
    fbo_ = std::exchange(other.fbo_, 0u), color_ = std::exchange(other.color_, 0u), depth_ = std::exchange(other.depth_, 0u);
  }
  return *this;
}

// a moved-from target owns nothing
void OffscreenTarget::release() noexcept {
  if (!fbo_) return;
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glDeleteRenderbuffers(1, &depth_);
  glDeleteRenderbuffers(1, &color_);
  glDeleteFramebuffers(1, &fbo_);
  fbo_ = color_ = depth_ = 0;
}

void OffscreenTarget::bind() const {
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glViewport(0, 0, width_, height_);
}

std::vector<uint8_t> OffscreenTarget::read() const {
  std::vector<uint8_t> bottom_up(size_t(width_) * size_t(height_) * 4), out(bottom_up.size());
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width_, height_, GL_RGBA, GL_UNSIGNED_BYTE, bottom_up.data());
  const size_t row = size_t(width_) * 4;
  for (int y = 0; y < height_; ++y)
    std::copy_n(bottom_up.data() + size_t(height_ - 1 - y) * row, row, out.data() + size_t(y) * row);
  // the screenshot is opaque whatever the blending left in alpha
  for (size_t i = 3; i < out.size(); i += 4) out[i] = 255;
  return out;
}

}  // namespace citysim::viz
