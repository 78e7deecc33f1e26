// [SECTION] setup        fonts, grid geometry
// [SECTION] frame        new frames, field texture, residents' points, camera
// [SECTION] map          layer, borders, names, markers, hover
// [SECTION] panels       time bar, layers, charts, events, scenario knobs, legend
#include "app.hpp"

#include "citysim/boundaries.hpp"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <set>

#include "citysim/mesh.hpp"
#include "labels.hpp"
#include "modules/vertiport.hpp"

namespace citysim::viz {

// [SECTION] setup
namespace {

constexpr ImU32 kBackground = IM_COL32(14, 20, 32, 255);
constexpr Rgba kBandColor{120, 190, 255, 255};  // an ensemble's median and 5-95% band

ImU32 im(Rgba c, uint8_t alpha = 255) { return IM_COL32(c.r, c.g, c.b, std::min(c.a, alpha)); }

std::string clock_text(LocalSeconds t) {
  static const char* days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  const CivilTime c = civil(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s %04d-%02d-%02d  %02d:%02d", days[c.weekday], c.year, c.month, c.day, c.hour, c.minute);
  return buf;
}

// deterministic spread of a point inside its cell, in [0.08, 0.92)
float jitter(uint32_t i, uint32_t salt) {
  uint32_t h = i * 0x9E3779B1u ^ salt * 0x85EBCA77u;
  h ^= h >> 15;
  h *= 0x2C1B3C6Du;
  h ^= h >> 12;
  return 0.08f + 0.84f * float(h & 0xFFFF) / 65536.0f;
}

}  // namespace

Fonts load_fonts(float scale, const std::string& extra_glyphs) {
  ImGuiIO& io = ImGui::GetIO();
  Fonts f;
  const char* latin[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf",
                         "/usr/share/fonts/dejavu/DejaVuSans.ttf"};
  // Japanese labels (WBGT bands, descriptions, names, captions) need a CJK font merged into both sizes
  const char* japanese[] = {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                            "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
                            "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
                            "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"};
  // Latin-1 plus the signs on the map and legends (≥ at a clipped scale top, the north arrow)
  static ImVector<ImWchar> signs;
  // ImGui's Japanese set (2,999 common kanji) lacks some of the credit line's (国), so
  // the callers' text (municipalities' names, story captions) is added too
  static ImVector<ImWchar> cjk_ranges;
  if (signs.empty()) {
    ImFontGlyphRangesBuilder builder;
    builder.AddRanges(io.Fonts->GetGlyphRangesDefault());
    builder.AddText("≥≤·°²→←↑↓▲");
    builder.BuildRanges(&signs);
    ImFontGlyphRangesBuilder cjk;
    cjk.AddRanges(io.Fonts->GetGlyphRangesJapanese());
    cjk.AddText(kBoundariesCredit);
    cjk.AddText(extra_glyphs.c_str());
    cjk.BuildRanges(&cjk_ranges);
  }
  const char* cjk = nullptr;
  for (const char* candidate : japanese)
    if (!cjk && std::filesystem::exists(candidate)) cjk = candidate;
  for (const char* path : latin) {
    if (!std::filesystem::exists(path)) continue;
    // each size with the CJK font merged in (the big one shows story captions)
    const auto add = [&](float size) {
      ImFont* font = io.Fonts->AddFontFromFileTTF(path, size * scale, nullptr, signs.Data);
      if (font && cjk) {
        ImFontConfig merge;
        merge.MergeMode = true;
        f.japanese = io.Fonts->AddFontFromFileTTF(cjk, size * scale, &merge, cjk_ranges.Data) != nullptr;
      }
      return font;
    };
    f.normal = add(16.0f);
    f.big = add(34.0f);
    if (f.normal && f.big) break;
  }
  if (!f.japanese)
    std::fprintf(stderr, "note: no CJK font found (install fonts-noto-cjk or fonts-ipafont-gothic); "
                         "Japanese names and labels are shown in English or left out\n");
  if (f.normal && f.big) return f;
  ImFontConfig config;
  config.SizePixels = 13.0f * scale;
  f.normal = io.Fonts->AddFontDefault(&config);
  config.SizePixels = 26.0f * scale;
  f.big = io.Fonts->AddFontDefault(&config);
  return f;
}

std::string App::text(const std::string& s) const {
  if (fonts_.japanese) return s;
  // without a CJK font, drop characters beyond Latin-1 and the brackets they leave empty
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (len <= 2) out.append(s, i, len);
    i += len;
  }
  for (const char* empty : {" ()", "()"})
    for (size_t at; (at = out.find(empty)) != std::string::npos;) out.erase(at, std::strlen(empty));
  return out;
}

App::App(Source& source, LiveSource* live, ViewOptions options, Fonts fonts, double speed)
    : source_(source),
      live_(live),
      options_(std::move(options)),
      fonts_(fonts),
      speed_(float(speed > 0 ? speed : 10000)),
      max_speed_(speed <= 0),
      edited_(source.scenario()) {
  prepare_grid();
  layer_ = options_.layer;
  color_by_ = options_.color_by == "age" ? 1 : 0;
  presentation_ = options_.presentation;
  names_lang_ = options_.lang == "ja" && fonts_.japanese ? 1 : 0;
  tour_ = options_.tour;
  // presentation with a tour plays it from the start
  if (presentation_ && !tour_.empty())
    touring_ = true, tour_index_ = std::min(options_.first_stop, tour_.size() - 1), tour_elapsed_s_ = 1e9, source_.play(true);
  const std::string stem = options_.scenario_path.empty() ? source_.name()
                                                          : std::filesystem::path(options_.scenario_path).stem().string();
  std::snprintf(save_path_, sizeof save_path_, "%s-edited.toml", stem.c_str());
  if (auto f = source_.frame()) choose_default_charts(*f);
  // the hint is a time the run holds: 14:00 on its first day, or its start
  const auto f0 = source_.frame();
  const LocalSeconds afternoon = *parse_datetime(format_datetime(f0->start).substr(0, 10) + "T14:00");
  std::snprintf(jump_hint_, sizeof jump_hint_, "%s", format_datetime(clamp_to_run(afternoon, f0->start, f0->end)).substr(0, 16).c_str());
}

// the map's fixed geometry: cell aspect, borders, coast, land bounds, name positions
void App::prepare_grid() {
  const Grid& g = source_.grid();
  // ground aspect of a mesh cell at the city's mean latitude
  double lat_sum = 0;
  size_t land = 0;
  for (size_t c = 0; c < g.size(); ++c)
    if (g.is_land(c)) lat_sum += g.lat[c], ++land;
  const double lat_mid = land ? lat_sum / double(land) : 35.7;
  land_cells_ = double(land);
  aspect_ = mesh_cell_lon_deg(g.level) * std::cos(lat_mid * M_PI / 180) / mesh_cell_lat_deg(g.level);
  // metres per degree of latitude there (WGS 84)
  cell_height_m_ = mesh_cell_lat_deg(g.level) * (111132.95 - 559.82 * std::cos(2 * lat_mid * M_PI / 180));
  x0_ = y0_ = 1e30, x1_ = y1_ = -1e30;
  for (size_t i = 0; i < g.size(); ++i)
    if (g.municipality[i] != 0) {
      const int r = g.row_of(i), c = g.col_of(i);
      x0_ = std::min(x0_, c * aspect_), x1_ = std::max(x1_, (c + 1) * aspect_);
      y0_ = std::min(y0_, double(r)), y1_ = std::max(y1_, double(r + 1));
    }
  // the municipalities' real boundaries in map units, each ring through the block
  // (mainland or island inset) that holds its first point
  outlines_.clear();
  for (const Outline& o : g.outlines) {
    const GridBlock* block = block_of(o.lat[0], o.lon[0]);
    if (!block) continue;
    std::vector<ImVec2> ring;
    for (size_t k = 0; k < o.lon.size(); ++k) ring.push_back(map_point(*block, o.lat[k], o.lon[k]));
    outlines_.push_back(std::move(ring));
  }
  // vertiports, when the scenario has them (their sites are scenario keys or a CSV)
  vertiports_.clear();
  try {
    if (source_.scenario().get_bool("vertiport.enabled"))
      for (const VertiportSite& site : VertiportParams::from(source_.scenario()).sites)
        if (const GridBlock* block = block_of(site.lat, site.lon))
          vertiports_.push_back({site.name, map_point(*block, site.lat, site.lon), site.pads});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "note: vertiports not drawn: %s\n", e.what());
  }
  if (x1_ < x0_) x0_ = 0, y0_ = 0, x1_ = g.cols * aspect_, y1_ = g.rows;
  // names at the municipal office, the most populous first so they win overlaps
  std::vector<size_t> order(g.municipalities.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return g.municipalities[a].population > g.municipalities[b].population; });
  for (size_t k : order) {
    const Municipality& mu = g.municipalities[k];
    int64_t cell = g.cell_at(mu.lat, mu.lon);
    if (cell < 0 || g.municipality[size_t(cell)] != mu.code) {
      // the office may sit just outside the cells the municipality got: use its first cell
      cell = -1;
      for (size_t c = 0; c < g.size() && cell < 0; ++c)
        if (g.municipality[c] == mu.code) cell = int64_t(c);
      if (cell < 0) continue;
    }
    names_.push_back({ImVec2(float((g.col_of(size_t(cell)) + 0.5) * aspect_), float(g.row_of(size_t(cell)) + 0.5)),
                      mu.name_en, mu.name_ja.empty() ? mu.name_en : mu.name_ja});
  }
}

const GridBlock* App::block_of(double lat, double lon) const {
  const Grid& g = source_.grid();
  const MeshIndex at = mesh_index_of(g.level, lat, lon);
  const auto block = std::find_if(g.blocks.begin(), g.blocks.end(), [&](const GridBlock& b) {
    return at.lat <= b.north_west.lat && at.lat > b.north_west.lat - b.rows && at.lon >= b.north_west.lon &&
           at.lon < b.north_west.lon + b.cols;
  });
  return block == g.blocks.end() ? nullptr : &*block;
}

ImVec2 App::map_point(const GridBlock& block, double lat, double lon) const {
  const Grid& g = source_.grid();
  const double dlat = mesh_cell_lat_deg(g.level), dlon = mesh_cell_lon_deg(g.level);
  return ImVec2(float(((lon - 100) / dlon - double(block.north_west.lon) + block.col0) * aspect_),
                float(double(block.north_west.lat + 1) - lat / dlat + block.row0));
}

// [SECTION] frame
void App::frame(double dt_s) {
  frame_ms_ = frame_ms_ == 0 ? dt_s * 1000 : 0.95 * frame_ms_ + 0.05 * dt_s * 1000;
  display_ = ImGui::GetIO().DisplaySize;
  source_.update(dt_s);
  since_points_s_ += dt_s;
  std::shared_ptr<const Frame> f = source_.frame();
  if (!f) return;
  if (!frame_ || f->serial != frame_->serial) on_new_frame(*f);
  frame_ = f;
  if (!fitted_ && display_.x > 0) {
    fit_camera(cam_);
    if (options_.view) aim_camera(cam_, (*options_.view)[0], (*options_.view)[1], (*options_.view)[2]);
    cam_target_ = cam_;
    fitted_ = true;
  }
  if (touring_) run_tour(dt_s);
  if (camera_animating_) {
    const double k = 1 - std::exp(-dt_s * 2.5);
    cam_.cx += (cam_target_.cx - cam_.cx) * k;
    cam_.cy += (cam_target_.cy - cam_.cy) * k;
    cam_.scale *= std::pow(cam_target_.scale / cam_.scale, k);
  }
  handle_input();
  draw_map(*f);
  if (presentation_) {
    draw_clock(*f);
    if (touring_) draw_caption(), draw_story_charts(*f);
  } else {
    draw_time_bar(*f);
    draw_layers_panel(*f);
    draw_side_panel(*f);
  }
  draw_legend(*f);
  draw_hover(*f);
}

void App::on_new_frame(const Frame& f) {
  if (layer_.empty() || !f.field(layer_)) layer_ = f.fields && !f.fields->empty() ? f.fields->front().path : "";
  apply_place_options(f);
  update_field_texture(f);
  update_points(f);
  if (charted_.empty()) choose_default_charts(f);
}

// the first scalar series of each module, so every module shows up (at most four)
void App::choose_default_charts(const Frame& f) {
  if (!f.series) return;
  std::set<std::string> modules;
  for (const auto& s : *f.series) {
    const std::string module = s.path.substr(0, s.path.find('/'));
    if (charted_.size() < 4 && s.width == 1 && modules.insert(module).second) charted_.insert(s.path);
  }
  for (const auto& s : *f.series)
    if (charted_.size() < 3 && s.width == 1) charted_.insert(s.path);
}

void App::update_field_texture(const Frame& f) {
  const FieldData* field = f.field(layer_);
  const Grid& g = source_.grid();
  if (!field || field->values.size() != g.size()) return;
  ColorScale s = scale_for(field->path, field->values);
  if (texture_layer_ != layer_) sticky_hi_ = 0;
  if (!s.wbgt) {
    s.hi = sticky_hi_ = std::max(sticky_hi_, s.hi);
    s.clipped = std::any_of(field->values.begin(), field->values.end(), [&](float v) { return v > s.hi; });
  }
  scale_ = s;
  std::vector<Rgba> pixels(g.size(), Rgba{0, 0, 0, 0});
  const uint8_t alpha = uint8_t(std::lround(field_alpha_ * 255));
  for (size_t c = 0; c < g.size(); ++c) {
    if (!g.is_land(c)) continue;  // transparent: the background shows sea and outside
    const float v = field->values[c];
    pixels[c] = std::isnan(v) ? Rgba{70, 74, 82, alpha} : s(v);
    pixels[c].a = std::min(pixels[c].a, alpha);
  }
  gl_.upload_field(pixels, g.cols, g.rows);
  texture_layer_ = layer_;
  field_serial_ = f.serial;
}

void App::update_points(const Frame& f) {
  const Grid& g = source_.grid();
  const AgentSample& a = f.agents;
  const size_t n = a.cell.size();
  // continue from where the points are drawn now, so motion never jumps back
  const float t = float(std::min(1.0, since_points_s_ / points_interval_s_));
  const bool same = points_.size() == n;
  points_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    PointVertex& p = points_[i];
    const uint32_t cell = a.cell[i];
    const float x = float((g.col_of(cell) + jitter(uint32_t(i), 1)) * aspect_);
    const float y = float(g.row_of(cell) + jitter(uint32_t(i), 2));
    if (same) {
      p.prev_x = p.prev_x + (p.cur_x - p.prev_x) * t;
      p.prev_y = p.prev_y + (p.cur_y - p.prev_y) * t;
    } else {
      p.prev_x = x, p.prev_y = y;
    }
    p.cur_x = x, p.cur_y = y;
    p.color = color_by_ == 1 && a.age ? age_color((*a.age)[i]) : activity_color(a.activity[i]);
  }
  gl_.upload_points(points_);
  // points in a busy cell (90th percentile of occupied cells) set how much they fade
  std::vector<uint32_t> per_cell(g.size(), 0);
  for (uint32_t c : a.cell) ++per_cell[c];
  std::erase(per_cell, 0u);
  if (!per_cell.empty()) {
    auto p90 = per_cell.begin() + long(per_cell.size() * 9 / 10);
    std::nth_element(per_cell.begin(), p90, per_cell.end());
    busy_cell_points_ = *p90;
  }
  // frames arrive at the worker's pace: blend over the interval between the last two
  points_interval_s_ = std::clamp(0.7 * points_interval_s_ + 0.3 * since_points_s_, 1.0 / 60, 0.5);
  since_points_s_ = 0;
  points_serial_ = f.serial;
}

void App::fit_camera(Camera& cam) const {
  // presentation keeps only the legend (bottom left, 380 px) next to the map
  // and a story step's charts on the right
  const bool charts = presentation_ && touring_ && !tour_[tour_index_].charts.empty();
  const float left = presentation_ ? 400 : panel_width() + 20;
  const float right = presentation_ ? (charts ? story_charts_width() + 20 : 20) : side_width() + 20;
  const float top = 100, bottom = 20;
  const double w = std::max(50.0, double(display_.x - left - right)), h = std::max(50.0, double(display_.y - top - bottom));
  cam.scale = 0.96 * std::min(w / (x1_ - x0_), h / (y1_ - y0_));
  const double ax = left + w / 2, ay = top + h / 2;  // centre of the free area, pixels
  cam.cx = (x0_ + x1_) / 2 - (ax - display_.x / 2) / cam.scale;
  cam.cy = (y0_ + y1_) / 2 - (ay - display_.y / 2) / cam.scale;
}

void App::aim_camera(Camera& cam, double lat, double lon, double zoom) const {
  const Grid& g = source_.grid();
  const int64_t cell = g.cell_at(lat, lon);
  cam.scale *= zoom;
  if (cell < 0) return;
  // the point goes to the centre of the free area, as fit_camera placed the city
  Camera fitted;
  fit_camera(fitted);
  const double ax = display_.x / 2 + ((x0_ + x1_) / 2 - fitted.cx) * fitted.scale;
  const double ay = display_.y / 2 + ((y0_ + y1_) / 2 - fitted.cy) * fitted.scale;
  cam.cx = (g.col_of(size_t(cell)) + 0.5) * aspect_ - (ax - display_.x / 2) / cam.scale;
  cam.cy = g.row_of(size_t(cell)) + 0.5 - (ay - display_.y / 2) / cam.scale;
}

ImVec2 App::to_screen(double x, double y) const {
  return ImVec2(float((x - cam_.cx) * cam_.scale + display_.x / 2), float((y - cam_.cy) * cam_.scale + display_.y / 2));
}

void App::handle_input() {
  ImGuiIO& io = ImGui::GetIO();
  if (!io.WantCaptureKeyboard) {
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space))) source_.play(!source_.playing());
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) source_.step();
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Home))) fit_camera(cam_), camera_animating_ = false;
    if (ImGui::IsKeyPressed(GLFW_KEY_P, false)) presentation_ = !presentation_, fit_camera(cam_);
    if (ImGui::IsKeyPressed(GLFW_KEY_F11, false)) fullscreen_request_ = true;
    if (ImGui::IsKeyPressed(GLFW_KEY_T, false) && !tour_.empty()) {
      touring_ = !touring_;
      tour_index_ = 0, tour_elapsed_s_ = 1e9;  // enter the first stop now
      if (touring_) presentation_ = true, source_.play(true);
    }
  }
  if (io.WantCaptureMouse) return;
  // wheel zooms about the cursor, dragging pans
  if (io.MouseWheel != 0) {
    const double wx = (io.MousePos.x - display_.x / 2) / cam_.scale + cam_.cx;
    const double wy = (io.MousePos.y - display_.y / 2) / cam_.scale + cam_.cy;
    cam_.scale = std::clamp(cam_.scale * std::pow(1.15, io.MouseWheel), 0.5, 2000.0);
    cam_.cx = wx - (io.MousePos.x - display_.x / 2) / cam_.scale;
    cam_.cy = wy - (io.MousePos.y - display_.y / 2) / cam_.scale;
    camera_animating_ = false;
  }
  if (ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
    cam_.cx -= io.MouseDelta.x / cam_.scale;
    cam_.cy -= io.MouseDelta.y / cam_.scale;
    camera_animating_ = false;
  }
}

void App::run_tour(double dt_s) {
  tour_elapsed_s_ += dt_s;
  if (tour_elapsed_s_ < tour_[tour_index_].hold_seconds) return;
  if (tour_elapsed_s_ < 1e8) tour_index_ = (tour_index_ + 1) % tour_.size();
  tour_elapsed_s_ = 0;
  const TourStop& s = tour_[tour_index_];
  if (s.at) source_.seek(*s.at);
  // a captioned step holds its time, so what the caption says stays true, unless it asks
  // for a (slow) pace of its own: aircraft flying through a minute or two of the peak
  source_.set_speed(s.speed > 0 ? s.speed : max_speed_ ? 0 : speed_);
  source_.play(s.speed > 0 || (s.caption_ja.empty() && s.caption_en.empty()));
  if (!s.layer.empty()) layer_ = s.layer, field_serial_ = 0;
  if (s.overlays) {
    show_borders_ = s.overlays->count("borders") > 0;
    show_names_ = s.overlays->count("names") > 0;
    show_points_ = s.overlays->count("residents") > 0;
    show_markers_ = s.overlays->count("markers") > 0;
  }
  Camera target;
  fit_camera(target);
  if (s.lat && s.lon) aim_camera(target, *s.lat, *s.lon, s.zoom);
  else target.scale *= s.zoom;
  cam_target_ = target;
  camera_animating_ = !options_.still;  // a still shows the step's view, not the flight to it
  if (options_.still) cam_ = target;
}

// [SECTION] map
void App::draw_map(const Frame& f) {
  ImDrawList* dl = ImGui::GetBackgroundDrawList();
  dl->AddRectFilled(ImVec2(0, 0), display_, kBackground);
  const Grid& g = source_.grid();
  if (field_serial_ != f.serial || texture_layer_ != layer_) update_field_texture(f);
  if (f.field(layer_))
    dl->AddImage(reinterpret_cast<ImTextureID>(intptr_t(gl_.field_texture())), to_screen(0, 0),
                 to_screen(g.cols * aspect_, g.rows));
  const float thin = std::clamp(float(cam_.scale) * 0.06f, 0.8f, 2.0f);
  if (show_borders_) {
    std::vector<ImVec2> screen;
    for (const auto& ring : outlines_) {
      screen.clear();
      for (const ImVec2& q : ring) screen.push_back(to_screen(q.x, q.y));
      dl->AddPolyline(screen.data(), int(screen.size()), IM_COL32(255, 255, 255, 110), ImDrawFlags_Closed, thin);
    }
  }
  if (!g.credit.empty()) {  // the boundary data's credit line, wherever the map is shown: Japanese over English
    const size_t split = g.credit.find(" / ");
    const std::string lines[] = {text(g.credit.substr(0, split)), split == std::string::npos ? "" : g.credit.substr(split + 3)};
    float y = display_.y - 6;
    for (int k = 1; k >= 0; --k) {
      if (lines[k].empty()) continue;
      const ImVec2 size = ImGui::CalcTextSize(lines[k].c_str());
      y -= size.y;
      dl->AddText(ImVec2((display_.x - size.x) / 2, y), IM_COL32(220, 220, 220, 200), lines[k].c_str());
    }
  }
  if (show_points_ && !points_.empty()) {
    // the points go through our own shader in the middle of ImGui's draw order
    dl->AddCallback(
        [](const ImDrawList*, const ImDrawCmd* cmd) {
          const auto* self = static_cast<const App*>(cmd->UserCallbackData);
          const ImVec2 d = self->display_;
          const float sx = float(self->cam_.scale * 2 / d.x), sy = float(-self->cam_.scale * 2 / d.y);
          const float ox = float(-self->cam_.cx * sx), oy = float(-self->cam_.cy * sy);
          const float t = float(std::min(1.0, self->since_points_s_ / self->points_interval_s_));
          const float size = std::clamp(float(self->cam_.scale) * 0.12f, 1.5f, 6.0f) * ImGui::GetIO().DisplayFramebufferScale.x;
          // crowded cells fade so the field under them stays readable: about half a
          // point's worth of ink per pixel in a busy cell
          const double cell_px = self->cam_.scale * self->cam_.scale * self->aspect_;
          const double coverage = self->busy_cell_points_ * size * size / std::max(1.0, cell_px);
          const float alpha = float(std::clamp(0.5 / coverage, 0.05, 0.9));
          self->gl_.draw_points(sx, sy, ox, oy, t, size, alpha);
        },
        this);
    dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
  }
  if (show_markers_) draw_markers(f, dl);
  if (show_markers_) draw_aircraft(f, dl);
  if (show_names_) draw_names(dl);
  draw_scale_and_north(dl);
}

// bottom right of the map area: a scale bar of a round length; above it a north arrow
// (the map is drawn north up: mesh rows run north to south)
void App::draw_scale_and_north(ImDrawList* dl) {
  const float right = display_.x - (presentation_ ? 20 : side_width() + 30), bottom = display_.y - 50;
  const ScaleBar bar = scale_bar(cell_height_m_ / cam_.scale, 160);
  if (bar.pixels < 1) return;
  const ImU32 ink = IM_COL32(255, 255, 255, 255), shade = IM_COL32(0, 0, 0, 160);
  const ImVec2 a(right - bar.pixels, bottom), b(right, bottom);
  dl->AddRectFilled(ImVec2(a.x - 6, a.y - 24), ImVec2(b.x + 6, b.y + 8), shade, 4);
  dl->AddRectFilled(ImVec2(a.x, a.y - 3), ImVec2(b.x, b.y + 1), ink);
  for (const ImVec2 end : {a, b}) dl->AddRectFilled(ImVec2(end.x - 1, end.y - 9), ImVec2(end.x + 1, end.y + 1), ink);
  const ImVec2 tw = ImGui::CalcTextSize(bar.label.c_str());
  dl->AddText(ImVec2((a.x + b.x - tw.x) / 2, a.y - 8 - tw.y), ink, bar.label.c_str());
  // the arrow: a triangle pointing up with an N above it
  const ImVec2 tip(right - 14, bottom - 78);
  dl->AddRectFilled(ImVec2(tip.x - 16, tip.y - 24), ImVec2(tip.x + 16, tip.y + 40), shade, 4);
  dl->AddTriangleFilled(tip, ImVec2(tip.x - 9, tip.y + 34), ImVec2(tip.x, tip.y + 26), ink);
  dl->AddTriangle(tip, ImVec2(tip.x + 9, tip.y + 34), ImVec2(tip.x, tip.y + 26), ink, 1.5f);
  const ImVec2 nw = ImGui::CalcTextSize("N");
  dl->AddText(ImVec2(tip.x - nw.x / 2, tip.y - 4 - nw.y), ink, "N");
}

void App::apply_place_options(const Frame& f) {
  for (const std::string& option : options_.places) {
    const size_t a = option.find(':'), b = option.find(':', a + 1);
    const std::string path = option.substr(0, a);
    if (place_styles_.count(path)) continue;  // applied, or chosen in the panel since
    for (const auto& t : f.tables) {
      if (t->path != path || t->columns.empty()) continue;
      PlaceStyle& style = place_styles_[path];
      if (a != std::string::npos) style.color = column_of(*t, option.substr(a + 1, b == std::string::npos ? b : b - a - 1));
      if (b != std::string::npos) style.size = column_of(*t, option.substr(b + 1));
    }
  }
}

int App::color_column(const TableData& t) const {
  const auto it = place_styles_.find(t.path);
  return it != place_styles_.end() && it->second.color >= 0 ? it->second.color : t.state_column;
}

std::map<std::string, Rgba> App::place_colors(const TableData& t, size_t table_index) const {
  const int colour = color_column(t);
  std::map<std::string, Rgba> colors;
  if (colour < 0) return {{"", state_color("", table_index)}};
  for (const auto& row : t.marker_rows) colors.emplace(row[size_t(colour)], Rgba{});
  size_t k = 0;
  for (auto& [value, c] : colors) c = state_color(value, k++);
  return colors;
}

// place layers: the rows in each block of cells (one cell when cells are big on screen,
// more when zoomed out) become one symbol, its area by the rows' count or the sum of the
// chosen size column, its colour the chosen column's most common value, the count on it;
// at most 60% of the block wide, so markers never hide the map beneath. A block's only
// row is drawn where it is in the cell.
void App::draw_markers(const Frame& f, ImDrawList* dl) {
  const Grid& g = source_.grid();
  const float cell_px = float(cam_.scale);  // a cell's height on screen
  const float r = std::clamp(cell_px * 0.12f, 4.0f, 8.0f);
  const int block = std::max(1, int(std::ceil(4 * r / cell_px)));  // cells on a side of a block
  const float most = 0.3f * float(block) * cell_px * float(std::min(1.0, aspect_));  // a symbol's radius
  const ImU32 rim = IM_COL32(255, 255, 255, 230);
  struct Bin {
    std::map<std::string, int> values;  // of the colour column
    int count = 0;
    double weight = 0;
    size_t first = 0;  // a row in it
  };
  marker_hits_.clear();
  for (size_t t = 0; t < f.tables.size(); ++t) {
    const TableData& table = *f.tables[t];
    if (table.marker_cell.empty()) continue;
    const int colour = color_column(table);
    const std::map<std::string, Rgba> colors = place_colors(table, t);
    const auto style = place_styles_.find(table.path);
    const int size = style != place_styles_.end() ? style->second.size : -1;
    const auto weight = [&](size_t k) { return size >= 0 ? std::max(0.0, std::atof(table.marker_rows[k][size_t(size)].c_str())) : 1.0; };
    double total = 0;
    std::map<std::pair<int, int>, Bin> bins;
    for (size_t k = 0; k < table.marker_cell.size(); ++k) {
      const size_t cell = size_t(table.marker_cell[k]);
      Bin& b = bins[{g.row_of(cell) / block, g.col_of(cell) / block}];
      if (b.count++ == 0) b.first = k;
      b.weight += weight(k), total += weight(k);
      ++b.values[colour >= 0 ? table.marker_rows[k][size_t(colour)] : ""];
    }
    const double unit = total > 0 ? total / double(table.marker_cell.size()) : 1;  // a mean row's weight
    for (const auto& [at, b] : bins) {
      const size_t cell = size_t(table.marker_cell[b.first]);
      const ImVec2 p = b.count == 1 ? to_screen((g.col_of(cell) + jitter(uint32_t(b.first), 7)) * aspect_,
                                                g.row_of(cell) + jitter(uint32_t(b.first), 8))
                                    : to_screen((at.second + 0.5) * block * aspect_, (at.first + 0.5) * block);
      const float radius = std::clamp(r * std::sqrt(float(b.weight / unit)), 2.5f, std::max(2.5f, most));
      const auto common = std::max_element(b.values.begin(), b.values.end(),
                                           [](const auto& x, const auto& y) { return x.second < y.second; });
      const Rgba c = colors.at(common->first);
      dl->AddCircleFilled(p, radius, im(c, 220));
      dl->AddCircle(p, radius + 1, rim, 0, 1.5f);
      marker_hits_.push_back({p, radius + 1, t, b.first, b.count});
      if (b.count < 2 || radius < 8) continue;
      const std::string n = std::to_string(b.count);
      const ImVec2 tw = ImGui::CalcTextSize(n.c_str());
      const bool light = 0.3 * c.r + 0.59 * c.g + 0.11 * c.b > 150;
      dl->AddText(ImVec2(p.x - tw.x / 2, p.y - tw.y / 2), light ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255), n.c_str());
    }
  }
}

// vertiports (pads in use now of all pads), the routes flown so far, and the aircraft
// in the air, each where its departure and landing times put it on the straight route
void App::draw_aircraft(const Frame& f, ImDrawList* dl) {
  if (vertiports_.empty()) return;
  const auto table = [&](const char* path) -> const TableData* {
    for (const auto& t : f.tables)
      if (t->path == path) return t.get();
    return nullptr;
  };
  const auto site = [&](const std::string& name) -> const Vertiport* {
    for (const Vertiport& v : vertiports_)
      if (v.name == name) return &v;
    return nullptr;
  };
  const LocalSeconds now = source_.clock_time();
  const ImU32 route = IM_COL32(255, 255, 255, 90), ink = IM_COL32(255, 255, 255, 255);
  std::map<std::string, int> pads_in_use;
  if (const TableData* pads = table("vertiport/pad_movements")) {
    const int at = column_of(*pads, "site");
    for (const auto& span : pads->spans)
      if (at >= 0 && span.start <= now && now < span.end) ++pads_in_use[span.row[size_t(at)]];
  }
  struct Leg {
    ImVec2 from, to;
    float done;  // share of the route flown
  };
  std::vector<Leg> airborne;
  std::set<std::pair<std::string, std::string>> routes;
  if (const TableData* flights = table("vertiport/flights")) {
    const int from = column_of(*flights, "from"), to = column_of(*flights, "to");
    for (const auto& span : flights->spans) {
      if (from < 0 || to < 0 || span.start > now) continue;
      const Vertiport *a = site(span.row[size_t(from)]), *b = site(span.row[size_t(to)]);
      if (!a || !b) continue;
      routes.insert(std::minmax(a->name, b->name));
      if (now < span.end)
        airborne.push_back({a->at, b->at, float(double(now - span.start) / double(std::max<LocalSeconds>(1, span.end - span.start)))});
    }
  }
  for (const auto& [a, b] : routes)
    dl->AddLine(to_screen(site(a)->at.x, site(a)->at.y), to_screen(site(b)->at.x, site(b)->at.y), route, 2);
  for (const Vertiport& v : vertiports_) {
    const ImVec2 p = to_screen(v.at.x, v.at.y);
    dl->AddRectFilled(ImVec2(p.x - 7, p.y - 7), ImVec2(p.x + 7, p.y + 7), IM_COL32(0, 90, 200, 255), 2);
    dl->AddRect(ImVec2(p.x - 8, p.y - 8), ImVec2(p.x + 8, p.y + 8), ink, 2, 0, 1.5f);
    dl->AddText(ImVec2(p.x - 3.5f, p.y - 7), ink, "H");
    const std::string label = v.name + "  " + std::to_string(pads_in_use[v.name]) + "/" + std::to_string(v.pads) + " pads";
    dl->AddText(ImVec2(p.x + 11, p.y - 8), ink, label.c_str());
  }
  // an aircraft: a triangle pointing along its route
  for (const Leg& leg : airborne) {
    const ImVec2 a = to_screen(leg.from.x, leg.from.y), b = to_screen(leg.to.x, leg.to.y);
    const ImVec2 p(a.x + (b.x - a.x) * leg.done, a.y + (b.y - a.y) * leg.done);
    const float len = std::max(1.0f, std::hypot(b.x - a.x, b.y - a.y));
    const ImVec2 d((b.x - a.x) / len, (b.y - a.y) / len), n(-d.y, d.x);
    const ImVec2 nose(p.x + d.x * 9, p.y + d.y * 9);
    const ImVec2 left(p.x - d.x * 6 + n.x * 6, p.y - d.y * 6 + n.y * 6), right(p.x - d.x * 6 - n.x * 6, p.y - d.y * 6 - n.y * 6);
    dl->AddTriangleFilled(nose, left, right, IM_COL32(255, 215, 0, 255));
    dl->AddTriangle(nose, left, right, IM_COL32(0, 0, 0, 255), 1.5f);
  }
}

// over a symbol: its row's columns, or how many rows the block holds
bool App::draw_marker_tooltip(const Frame& f) {
  const ImVec2 m = ImGui::GetIO().MousePos;
  for (auto hit = marker_hits_.rbegin(); hit != marker_hits_.rend(); ++hit) {  // the top one first
    const float dx = m.x - hit->at.x, dy = m.y - hit->at.y;
    if (dx * dx + dy * dy > hit->radius * hit->radius || hit->table >= f.tables.size()) continue;
    const TableData& t = *f.tables[hit->table];
    ImGui::BeginTooltip();
    if (hit->count == 1) {
      ImGui::TextUnformatted(t.path.c_str());
      ImGui::Separator();
      const auto& row = t.marker_rows[hit->first];
      for (size_t c = 0; c < row.size() && c < t.columns.size(); ++c)
        ImGui::Text("%s: %s", t.columns[c].c_str(), text(row[c]).c_str());
    } else {
      ImGui::Text("%s: %d rows here (zoom in for each)", t.path.c_str(), hit->count);
    }
    ImGui::EndTooltip();
    return true;
  }
  return false;
}

void App::draw_names(ImDrawList* dl) {
  std::vector<ImVec4> taken;  // screen rectangles of names drawn
  ImFont* font = fonts_.normal;
  const float size = font->FontSize * (presentation_ ? 1.15f : 0.85f);
  for (const PlaceName& place : names_) {
    const char* name = (names_lang_ == 1 ? place.ja : place.en).c_str();
    const ImVec2 p = to_screen(place.at.x, place.at.y);
    const ImVec2 ext = font->CalcTextSizeA(size, 1e9f, 0, name);
    const ImVec4 rect(p.x - ext.x / 2 - 2, p.y - ext.y / 2 - 1, p.x + ext.x / 2 + 2, p.y + ext.y / 2 + 1);
    if (rect.z < 0 || rect.x > display_.x || rect.w < 0 || rect.y > display_.y) continue;
    const bool overlaps = std::any_of(taken.begin(), taken.end(), [&](const ImVec4& o) {
      return rect.x < o.z && o.x < rect.z && rect.y < o.w && o.y < rect.w;
    });
    if (overlaps) continue;
    taken.push_back(rect);
    const ImVec2 q(p.x - ext.x / 2, p.y - ext.y / 2);
    for (const ImVec2 d : {ImVec2(-1, 0), ImVec2(1, 0), ImVec2(0, -1), ImVec2(0, 1)})
      dl->AddText(font, size, ImVec2(q.x + d.x, q.y + d.y), IM_COL32(0, 0, 0, 200), name);
    dl->AddText(font, size, q, IM_COL32(255, 255, 255, 235), name);
  }
}

void App::draw_hover(const Frame& f) {
  ImGuiIO& io = ImGui::GetIO();
  if (io.WantCaptureMouse || ImGui::IsMouseDragging(ImGuiMouseButton_Left)) return;
  if (show_markers_ && draw_marker_tooltip(f)) return;
  const Grid& g = source_.grid();
  const double wx = (io.MousePos.x - display_.x / 2) / cam_.scale + cam_.cx;
  const double wy = (io.MousePos.y - display_.y / 2) / cam_.scale + cam_.cy;
  const int col = int(std::floor(wx / aspect_)), row = int(std::floor(wy));
  if (col < 0 || row < 0 || col >= g.cols || row >= g.rows) return;
  const size_t cell = size_t(row) * size_t(g.cols) + size_t(col);
  if (g.mesh_code[cell] == 0) return;
  ImGui::GetForegroundDrawList()->AddRect(to_screen(col * aspect_, row), to_screen((col + 1) * aspect_, row + 1),
                                          IM_COL32(255, 255, 255, 255), 0, 0, 2);
  ImGui::BeginTooltip();
  ImGui::Text("mesh %llu  (%.4f N, %.4f E)", (unsigned long long)g.mesh_code[cell], g.lat[cell], g.lon[cell]);
  if (g.municipality_index[cell] >= 0) {
    const Municipality& mu = g.municipalities[size_t(g.municipality_index[cell])];
    ImGui::Text("%s (%d, %s)", mu.name_en.c_str(), mu.code, mu.kind.c_str());
  } else {
    ImGui::TextUnformatted("outside the city");
  }
  ImGui::Text("land use: %s", land_use_name(LandUse(g.land_use[cell])));
  ImGui::Separator();
  for (const auto& field : *f.fields) {
    const double v = field.values[cell];
    ImGui::Text("%s%s: %s %s", field.path == layer_ ? "> " : "  ", field.path.c_str(), format_value(v).c_str(),
                unit_label(field.units, field.description).c_str());
    if (field.path.ends_with("wbgt") && wbgt_band(v) >= 0) {
      ImGui::SameLine();
      ImGui::TextUnformatted(wbgt_bands()[size_t(wbgt_band(v))].label);
    }
  }
  ImGui::EndTooltip();
}

// [SECTION] panels
void App::draw_time_bar(const Frame& f) {
  const ImGuiWindowFlags fixed = ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings;
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(display_.x, 0));
  ImGui::SetNextWindowBgAlpha(0.85f);
  ImGui::Begin("time", nullptr, fixed | ImGuiWindowFlags_AlwaysAutoResize);
  ImGui::PushFont(fonts_.big);
  ImGui::TextUnformatted(clock_text(f.now).c_str());
  ImGui::PopFont();
  ImGui::SameLine(0, 30);
  ImGui::BeginGroup();
  ImGui::Text("%s  ·  %s", source_.name().c_str(), status().c_str());
  if (live_)
    if (const std::string e = live_->last_error(); !e.empty()) {
      ImGui::SameLine();
      ImGui::TextColored(ImVec4(1, 0.5f, 0.3f, 1), "  %s", text(e).c_str());
    }
  if (ImGui::Button(source_.playing() ? "Pause" : "Play", ImVec2(70, 0))) source_.play(!source_.playing());
  ImGui::SameLine();
  if (ImGui::Button("Step")) source_.step();
  ImGui::SameLine();
  ImGui::SetNextItemWidth(170);
  if (ImGui::SliderFloat("##speed", &speed_, 1, 10000, "speed %.0fx", ImGuiSliderFlags_Logarithmic))
    source_.set_speed(max_speed_ ? 0 : speed_);
  ImGui::SameLine();
  if (ImGui::Checkbox("max", &max_speed_)) source_.set_speed(max_speed_ ? 0 : speed_);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(150);
  ImGui::InputTextWithHint("##jump", jump_hint_, jump_text_, sizeof jump_text_);
  ImGui::SameLine();
  if (ImGui::Button("Jump"))
    if (auto t = parse_datetime(jump_text_)) source_.seek(clamp_to_run(*t, f.start, f.end));
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("the run holds %s to %s", format_datetime(f.start).substr(0, 16).c_str(),
                      format_datetime(f.end).substr(0, 16).c_str());
  ImGui::EndGroup();
  if (!options_.still) {
    ImGui::SameLine(0, 30);
    ImGui::BeginGroup();
    ImGui::Text("%.1f ms/frame", frame_ms_);
    if (source_.live()) {
      ImGui::Text("%.0f ticks/s", f.ticks_per_second);
      if (ImGui::IsItemHovered()) {  // where the time goes
        double total = 0;
        for (const auto& [name, s] : f.step_seconds) total += s;
        ImGui::BeginTooltip();
        ImGui::TextUnformatted("time in each module's step so far");
        for (const auto& [name, s] : f.step_seconds)
          ImGui::Text("%-10s %7.2f s  %3.0f%%", name.c_str(), s, total > 0 ? 100 * s / total : 0.0);
        ImGui::EndTooltip();
      }
    }
    ImGui::EndGroup();
  }
  // the scrubber: run start .. run end, in minutes
  const int total_min = int((f.end - f.start) / 60);
  int at_min = int((f.now - f.start) / 60);
  ImGui::SetNextItemWidth(-1);
  const std::string label = format_datetime(f.now).substr(0, 16);
  ImGui::SliderInt("##timeline", &at_min, 0, std::max(1, total_min), label.c_str(), ImGuiSliderFlags_AlwaysClamp);
  // seek when released, so a live run is not restarted on every pixel
  if (ImGui::IsItemDeactivatedAfterEdit()) source_.seek(f.start + LocalSeconds(at_min) * 60);
  ImGui::End();
}

std::string App::status() const {
  const Frame& f = *frame_;
  return run_status(source_.live(), f.finished, f.complete, f.now);
}

// presentation: the clock and the run's status, no controls
void App::draw_clock(const Frame& f) {
  ImGui::SetNextWindowPos(ImVec2(10, 10));
  ImGui::SetNextWindowBgAlpha(0.6f);
  ImGui::Begin("clock", nullptr,
               ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoInputs |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize);
  ImGui::PushFont(fonts_.big);
  ImGui::TextUnformatted(clock_text(f.now).c_str());
  ImGui::PopFont();
  ImGui::TextDisabled("%s  ·  %s", source_.name().c_str(), status().c_str());
  ImGui::End();
}

// a story step's caption, top right next to the clock, in the names' language when it
// has one; one line (ImGui wraps only at spaces, and Japanese has none), smaller if it must
void App::draw_caption() {
  const TourStop& s = tour_[tour_index_];
  const std::string& caption = names_lang_ == 1 && !s.caption_ja.empty() ? s.caption_ja
                               : !s.caption_en.empty()                 ? s.caption_en
                                                                       : s.caption_ja;
  if (caption.empty()) return;
  const std::string shown = text(caption);
  ImGui::SetNextWindowPos(ImVec2(display_.x - 10, 10), ImGuiCond_Always, ImVec2(1, 0));
  ImGui::SetNextWindowBgAlpha(0.75f);
  ImGui::Begin("caption", nullptr,
               ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoInputs |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize);
  ImGui::PushFont(fonts_.big);
  const float room = std::max(100.0f, display_.x - 420), width = ImGui::CalcTextSize(shown.c_str()).x;
  ImGui::SetWindowFontScale(std::min(1.0f, room / std::max(1.0f, width)));
  ImGui::TextUnformatted(shown.c_str());
  ImGui::SetWindowFontScale(1);
  ImGui::PopFont();
  ImGui::End();
}

void App::draw_layers_panel(const Frame& f) {
  ImGui::SetNextWindowPos(ImVec2(10, 100), ImGuiCond_Once);
  ImGui::SetNextWindowSize(ImVec2(panel_width(), 0), ImGuiCond_Once);
  ImGui::SetNextWindowBgAlpha(0.85f);
  ImGui::Begin("Layers", nullptr, ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize);
  if (const auto& variants = source_.variants(); !variants.empty()) {
    // an ensemble: the map shows the variant's first replicate, the charts its band
    ImGui::SetNextItemWidth(std::max(120.0f, panel_width() - 90));
    if (ImGui::BeginCombo("variant", variants[source_.variant()].c_str())) {
      for (size_t v = 0; v < variants.size(); ++v)
        if (ImGui::Selectable(variants[v].c_str(), v == source_.variant())) source_.set_variant(v);
      ImGui::EndCombo();
    }
    ImGui::TextDisabled("charts: median, 5-95%% of its runs");
    ImGui::Separator();
  }
  for (const auto& field : *f.fields)
    if (ImGui::RadioButton(field.path.c_str(), layer_ == field.path)) layer_ = field.path;
  if (f.fields->empty()) ImGui::TextDisabled("no fields in this run");
  if (ImGui::SliderFloat("opacity", &field_alpha_, 0.1f, 1.0f)) field_serial_ = 0;
  ImGui::Separator();
  if (!f.agents.cell.empty()) {
    ImGui::Checkbox("residents", &show_points_);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(110);
    const char* by[] = {"by activity", "by age"};
    if (ImGui::Combo("##colorby", &color_by_, by, 2)) update_points(f);
    ImGui::TextDisabled("%zu points, 1 : %.0f people", f.agents.cell.size(), f.agents.weight);
  }
  ImGui::Checkbox("borders", &show_borders_);
  ImGui::SameLine();
  ImGui::Checkbox("names", &show_names_);
  ImGui::SameLine();
  ImGui::Checkbox("markers", &show_markers_);
  // place layers: what their symbols are coloured and sized by
  for (const auto& table : f.tables) {
    if (table->marker_cell.empty() || !show_markers_) continue;
    if (!ImGui::TreeNode(table->path.c_str())) continue;
    PlaceStyle& style = place_styles_[table->path];
    const int colour = color_column(*table);
    ImGui::SetNextItemWidth(150);
    if (ImGui::BeginCombo("colour", colour >= 0 ? table->columns[size_t(colour)].c_str() : "one colour")) {
      for (size_t c = 0; c < table->columns.size(); ++c)
        if (!table->numeric[c] && ImGui::Selectable(table->columns[c].c_str(), int(c) == colour)) style.color = int(c);
      ImGui::EndCombo();
    }
    ImGui::SetNextItemWidth(150);
    if (ImGui::BeginCombo("size", style.size >= 0 ? table->columns[size_t(style.size)].c_str() : "count")) {
      if (ImGui::Selectable("count", style.size < 0)) style.size = -1;
      for (size_t c = 0; c < table->columns.size(); ++c)
        if (table->numeric[c] && ImGui::Selectable(table->columns[c].c_str(), int(c) == style.size)) style.size = int(c);
      ImGui::EndCombo();
    }
    if (!table->time_column.empty()) ImGui::TextDisabled("rows up to the time shown, by %s", table->time_column.c_str());
    ImGui::TreePop();
  }
  ImGui::BeginDisabled(!fonts_.japanese);
  ImGui::TextUnformatted("names in");
  ImGui::SameLine();
  ImGui::RadioButton("English", &names_lang_, 0);
  ImGui::SameLine();
  ImGui::RadioButton(fonts_.japanese ? "日本語" : "Japanese", &names_lang_, 1);
  ImGui::EndDisabled();
  if (!fonts_.japanese && ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip("no CJK font installed (fonts-noto-cjk or fonts-ipafont-gothic)");
  if (ImGui::Button("Fit map")) fit_camera(cam_), camera_animating_ = false;
  ImGui::SameLine();
  if (ImGui::Button("Presentation (P)")) presentation_ = true, fit_camera(cam_);
  if (!tour_.empty()) {
    ImGui::SameLine();
    if (ImGui::Button("Tour (T)")) touring_ = true, presentation_ = true, tour_index_ = 0, tour_elapsed_s_ = 1e9, source_.play(true);
  }
  ImGui::End();
}

void App::draw_side_panel(const Frame& f) {
  ImGui::SetNextWindowPos(ImVec2(display_.x - side_width() - 10, 100), ImGuiCond_Once);
  ImGui::SetNextWindowSize(ImVec2(side_width(), std::max(200.0f, display_.y - 110)), ImGuiCond_Once);
  ImGui::SetNextWindowBgAlpha(0.85f);
  ImGui::Begin("Run", nullptr, ImGuiWindowFlags_NoSavedSettings);
  if (ImGui::BeginTabBar("tabs")) {
    // the tab asked for on the command line is selected in the first frame
    const auto first = [&](const char* name) {
      return side_frames_ == 0 && options_.panel == name ? ImGuiTabItemFlags_SetSelected : 0;
    };
    const int charts = first("charts"), events = first("events"), scenario = first("scenario");
    ++side_frames_;
    if (ImGui::BeginTabItem("Charts", nullptr, charts)) draw_charts(f), ImGui::EndTabItem();
    if (ImGui::BeginTabItem("Events", nullptr, events)) draw_events(f), ImGui::EndTabItem();
    if (ImGui::BeginTabItem("Scenario", nullptr, scenario)) draw_scenario(), ImGui::EndTabItem();
    ImGui::EndTabBar();
  }
  ImGui::End();
}

void App::draw_charts(const Frame& f) {
  if (!f.series || f.series->empty()) {
    ImGui::TextDisabled("no series yet");
    return;
  }
  if (ImGui::CollapsingHeader("choose series")) {
    for (const auto& s : *f.series) {
      bool on = charted_.count(s.path) > 0;
      if (ImGui::Checkbox(s.path.c_str(), &on)) on ? (void)charted_.insert(s.path) : (void)charted_.erase(s.path);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s%s", text(s.description).c_str(), unit_suffix(s.units, s.description).c_str());
    }
  }
  for (const auto& s : *f.series)
    if (charted_.count(s.path)) draw_chart(f, s, 80, false);
}

// one chart: up to 8 categories as lines (wider breakdowns summed); in an ensemble the
// variant's median (summed over the breakdown) with its 5-95% band; time ticks under it
// and a cursor at the time shown. `labels`: the categories' names under the chart
// (presentation has no hover)
void App::draw_chart(const Frame& f, const SeriesHistory& s, float height, bool labels) {
  if (s.width == 0 || !f.sample_times) return;
  const auto& times = *f.sample_times;
  const double span = double(std::max<LocalSeconds>(1, f.end - f.start));
  const Band* band = f.band(s.path);
  const size_t samples = std::min(times.size(), s.samples);
  const size_t band_samples = band ? std::min(times.size(), band->q50.size()) : 0;
  // an ensemble's chart is of the total: the band is over the breakdown's sum
  const size_t lines = band ? 0 : s.width <= 8 ? s.width : 1;
  const auto value = [&](size_t i, size_t line) {
    if (s.width <= 8) return s.at(i, line);
    double sum = 0;
    for (size_t k = 0; k < s.width; ++k) sum += s.at(i, k);
    return sum;
  };
  double lo = 1e300, hi = -1e300;
  const auto widen = [&](double v) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  };
  for (size_t i = 0; i < samples; ++i)
    for (size_t l = 0; l < lines; ++l) widen(value(i, l));
  for (size_t i = 0; i < band_samples; ++i) widen(band->q05[i]), widen(band->q95[i]);
  // counts start at zero; a series that stays far from zero (temperatures) gets its own range
  if (lo > hi) lo = 0, hi = 1;
  if (lo >= 0 && lo < 0.3 * hi) lo = 0;
  if (hi <= lo) hi = lo + 1;
  const std::string units = unit_suffix(s.units, s.description);
  if (band) {
    const size_t i = std::min(f.sample, band_samples ? band_samples - 1 : 0);
    const auto q = [&](const std::vector<double>& v) { return band_samples ? format_value(v[i]) : std::string("-"); };
    ImGui::Text("%s%s%s", s.path.c_str(), units.c_str(), s.width > 1 ? "  (sum)" : "");
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(im(kBandColor)), "median %s, 5-95%%: %s to %s (%d runs)", q(band->q50).c_str(),
                       q(band->q05).c_str(), q(band->q95).c_str(), band->replicates);
  } else {
    const double now_value = samples && f.sample < samples ? value(std::min(f.sample, samples - 1), 0) : NAN;
    ImGui::Text("%s%s  %s%s", s.path.c_str(), units.c_str(), lines == 1 ? format_value(now_value).c_str() : "",
                s.width > 8 ? "  (sum)" : "");
  }
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const ImVec2 size(ImGui::GetContentRegionAvail().x, height);
  const float axis_h = ImGui::GetTextLineHeight() + 4;  // time ticks under the plot
  ImGui::InvisibleButton(s.path.c_str(), ImVec2(size.x, size.y + axis_h));
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p0, ImVec2(p0.x + size.x, p0.y + size.y), IM_COL32(25, 30, 42, 255));
  const auto at = [&](LocalSeconds t, double v) {
    return ImVec2(p0.x + float(double(t - f.start) / span) * size.x, p0.y + size.y - float((v - lo) / (hi - lo)) * (size.y - 4) - 2);
  };
  if (band) {
    // the band as one quad per sample interval (ImGui fills convex shapes only), then the median
    const ImU32 fill = im(kBandColor, 90);
    for (size_t i = 0; i + 1 < band_samples; ++i) {
      if (!std::isfinite(band->q05[i] + band->q95[i] + band->q05[i + 1] + band->q95[i + 1])) continue;
      dl->AddQuadFilled(at(times[i], band->q95[i]), at(times[i + 1], band->q95[i + 1]), at(times[i + 1], band->q05[i + 1]),
                        at(times[i], band->q05[i]), fill);
    }
    std::vector<ImVec2> pts;
    for (size_t i = 0; i < band_samples; ++i)
      if (std::isfinite(band->q50[i])) pts.push_back(at(times[i], band->q50[i]));
    dl->AddPolyline(pts.data(), int(pts.size()), im(kBandColor), 0, 2.0f);
  }
  for (size_t l = 0; l < lines; ++l) {
    std::vector<ImVec2> pts;
    for (size_t i = 0; i < samples; ++i) pts.push_back(at(times[i], value(i, l)));
    dl->AddPolyline(pts.data(), int(pts.size()), im(category_color(l)), 0, 1.8f);
  }
  // the time axis: round hours under the plot
  for (const TimeTick& tick : time_ticks(f.start, f.end, std::max(2, int(size.x / 55)))) {
    const float x = at(tick.t, lo).x;
    const float tw = ImGui::CalcTextSize(tick.label.c_str()).x;
    dl->AddLine(ImVec2(x, p0.y + size.y), ImVec2(x, p0.y + size.y + 3), IM_COL32(200, 200, 200, 200));
    dl->AddText(ImVec2(std::clamp(x - tw / 2, p0.x, p0.x + size.x - tw), p0.y + size.y + 3), IM_COL32(200, 200, 200, 200),
                tick.label.c_str());
  }
  // the cursor at the shown time
  const float cx = at(f.now, lo).x;
  dl->AddLine(ImVec2(cx, p0.y), ImVec2(cx, p0.y + size.y), IM_COL32(255, 255, 255, 180), 1.5f);
  dl->AddText(ImVec2(p0.x + 3, p0.y + 1), IM_COL32(200, 200, 200, 200), format_value(hi).c_str());
  dl->AddText(ImVec2(p0.x + 3, p0.y + size.y - 16), IM_COL32(200, 200, 200, 200), format_value(lo).c_str());
  const auto category = [&](size_t l) {
    return (l < s.labels.size() ? s.labels[l] : std::string("?")) + ": " +
           (samples ? format_value(value(std::min(f.sample, samples - 1), l)) : std::string());
  };
  if (lines > 1 && labels) {
    // the categories in rows, as many on a row as fit
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    for (size_t l = 0; l < lines; ++l) {
      const std::string c = category(l);
      if (l > 0 && ImGui::GetItemRectMax().x + 14 + ImGui::CalcTextSize(c.c_str()).x < right) ImGui::SameLine(0, 14);
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(im(category_color(l))), "%s", c.c_str());
    }
  } else if (lines > 1 && hovered) {
    ImGui::BeginTooltip();
    for (size_t l = 0; l < lines; ++l)
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(im(category_color(l))), "%s", category(l).c_str());
    ImGui::EndTooltip();
  }
}

// presentation: a story step's charts, right of the map under the caption
void App::draw_story_charts(const Frame& f) {
  const TourStop& step = tour_[tour_index_];
  if (step.charts.empty() || !f.series) return;
  ImGui::SetNextWindowPos(ImVec2(display_.x - 10, 100), ImGuiCond_Always, ImVec2(1, 0));
  ImGui::SetNextWindowSize(ImVec2(story_charts_width(), 0));
  ImGui::SetNextWindowBgAlpha(0.8f);
  ImGui::Begin("story charts", nullptr,
               ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoInputs |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize);
  for (const std::string& path : step.charts)
    for (const auto& s : *f.series)
      if (s.path == path) draw_chart(f, s, 90, true);
  ImGui::End();
}

void App::draw_events(const Frame& f) {
  if (f.tables.empty()) {
    ImGui::TextDisabled("no event tables in this run");
    return;
  }
  for (const auto& table : f.tables) {
    const TableData& t = *table;
    const std::string head = t.path + " (" + std::to_string(t.rows) + " rows)###" + t.path;
    if (!ImGui::CollapsingHeader(head.c_str(), ImGuiTreeNodeFlags_DefaultOpen)) continue;
    if (!t.description.empty()) ImGui::TextWrapped("%s", text(t.description).c_str());
    if (t.latest.empty() || t.columns.empty()) continue;
    if (ImGui::BeginTable(t.path.c_str(), int(std::min<size_t>(t.columns.size(), 64)),
                          ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollX |
                              ImGuiTableFlags_SizingFixedFit,
                          ImVec2(0, 0))) {
      for (size_t c = 0; c < t.columns.size() && c < 64; ++c) ImGui::TableSetupColumn(t.columns[c].c_str());
      ImGui::TableHeadersRow();
      for (auto row = t.latest.rbegin(); row != t.latest.rend(); ++row) {  // newest first
        ImGui::TableNextRow();
        for (size_t c = 0; c < row->size() && c < 64; ++c) {
          ImGui::TableSetColumnIndex(int(c));
          ImGui::TextUnformatted(text((*row)[c]).c_str());
        }
      }
      ImGui::EndTable();
    }
  }
}

void App::draw_scenario() {
  if (!live_) {
    ImGui::TextWrapped("A replay shows a finished run. Open the scenario file to change knobs live.");
    return;
  }
  ImGui::TextWrapped("Knobs apply between steps; \"Restart\" runs again from the start with them.");
  if (ImGui::Button("Restart with these settings")) live_->restart(edited_);
  ImGui::SetNextItemWidth(220);
  ImGui::InputText("##save", save_path_, sizeof save_path_);
  ImGui::SameLine();
  if (ImGui::Button("Save TOML")) {
    std::ofstream out(save_path_);
    out << scenario_toml(edited_, edited_keys_);
    save_message_ = out ? std::string("saved ") + save_path_ : std::string("cannot write ") + save_path_;
  }
  if (!save_message_.empty()) ImGui::TextDisabled("%s", save_message_.c_str());
  if (const std::string e = live_->last_error(); !e.empty()) ImGui::TextColored(ImVec4(1, 0.5f, 0.3f, 1), "%s", e.c_str());
  // every module's numeric and on/off keys: live knobs apply between steps; structural keys
  // (read only while the run is built: sites, shelters, the population) would change
  // nothing mid-run, so they are edited here and applied by "Restart with these settings"
  for (const KnobSection& section : knob_sections(edited_.schema())) {
    if (!ImGui::CollapsingHeader(section.module.c_str())) continue;
    ImGui::PushID(section.module.c_str());
    for (const KeySpec* k : section.live)
      if (const auto changed = draw_knob(*k)) apply_knob(*k, *changed, true);
    if (!section.restart.empty()) {
      ImGui::Separator();
      ImGui::TextColored(ImVec4(1, 0.8f, 0.4f, 1), "restart with these");
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip("read only while the run is built: changed here, they apply when the run restarts");
      for (const KeySpec* k : section.restart)
        if (const auto changed = draw_knob(*k)) apply_knob(*k, *changed, false);
    }
    ImGui::PopID();
  }
}

std::optional<Value> App::draw_knob(const KeySpec& k) {
  const std::string label = k.key.substr(k.key.find('.') + 1) + (k.unit.empty() ? "" : " [" + k.unit + "]");
  std::optional<Value> changed;
  ImGui::PushID(k.key.c_str());
  if (k.kind == ValueKind::Bool) {
    bool v = edited_.get_bool(k.key);
    if (ImGui::Checkbox(label.c_str(), &v)) changed = v;
  } else if (k.kind == ValueKind::Float) {
    float v = float(edited_.get_double(k.key));
    const bool ranged = k.min && k.max && *k.max - *k.min < 1e5;
    ImGui::SetNextItemWidth(150);
    const bool edit = ranged ? ImGui::SliderFloat(label.c_str(), &v, float(*k.min), float(*k.max))
                             : ImGui::DragFloat(label.c_str(), &v, std::max(0.01f, std::abs(v) * 0.01f));
    if (edit) changed = double(v);
  } else if (k.kind == ValueKind::Int) {
    int v = int(edited_.get_int(k.key));
    const bool ranged = k.min && k.max && *k.max - *k.min <= 10000;
    ImGui::SetNextItemWidth(150);
    const bool edit = ranged ? ImGui::SliderInt(label.c_str(), &v, int(*k.min), int(*k.max)) : ImGui::DragInt(label.c_str(), &v);
    if (edit) changed = int64_t(v);
  }
  if (ImGui::IsItemHovered() && !k.doc.empty()) ImGui::SetTooltip("%s\n%s", k.key.c_str(), text(k.doc).c_str());
  ImGui::PopID();
  return changed;
}

void App::apply_knob(const KeySpec& k, const Value& value, bool live_now) {
  try {
    edited_.set(k.key, value, SourceLoc{"citysim-viz", 0});
    edited_keys_.insert(k.key);
    if (live_now) live_->set_param(k.key, value);
  } catch (const std::exception& e) {
    save_message_ = e.what();
  }
}

void App::draw_legend(const Frame& f) {
  const FieldData* field = f.field(layer_);
  const float width = presentation_ ? 380 : panel_width();
  ImGui::SetNextWindowPos(ImVec2(10, display_.y - 10), ImGuiCond_Always, ImVec2(0, 1));
  ImGui::SetNextWindowSize(ImVec2(width, 0));
  ImGui::SetNextWindowBgAlpha(0.85f);
  ImGui::Begin("legend", nullptr,
               ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoInputs);
  if (field) {
    ImGui::Text("%s%s", field->path.c_str(), unit_suffix(field->units, field->description).c_str());
    if (!field->description.empty()) ImGui::TextWrapped("%s", text(field->description).c_str());
    ImDrawList* dl = ImGui::GetWindowDrawList();
    if (scale_.wbgt) {
      for (const auto& band : wbgt_bands()) {
        const ImVec2 p = ImGui::GetCursorScreenPos();
        dl->AddRectFilled(p, ImVec2(p.x + 22, p.y + 14), im(band.color));
        ImGui::Dummy(ImVec2(26, 14));
        ImGui::SameLine();
        ImGui::Text("%s  %s", band.label, text(band.label_ja).c_str());
      }
    } else {
      // the ramp, one rectangle per pixel column so the colours are exact
      const ImVec2 p = ImGui::GetCursorScreenPos();
      const float w = ImGui::GetContentRegionAvail().x - 10, h = 16;
      for (int x = 0; x < int(w); ++x)
        dl->AddRectFilled(ImVec2(p.x + float(x), p.y), ImVec2(p.x + float(x) + 1, p.y + h), im(viridis(x / (w - 1))));
      ImGui::Dummy(ImVec2(w, h));
      const ImVec2 q = ImGui::GetCursorScreenPos();
      // round ticks, then the scale's top at the ramp's end ("≥" when values above it are clipped)
      const std::string top = scale_top_label(scale_.hi, scale_.clipped);
      const float top_w = ImGui::CalcTextSize(top.c_str()).x;
      const auto tick = [&](float x, const std::string& label) {
        const float tw = ImGui::CalcTextSize(label.c_str()).x;
        dl->AddLine(ImVec2(x, p.y + h), ImVec2(x, p.y + h + 4), IM_COL32(255, 255, 255, 200));
        dl->AddText(ImVec2(std::clamp(x - tw / 2, p.x, p.x + w - tw), q.y + 3), IM_COL32(230, 230, 230, 255), label.c_str());
      };
      for (double t : nice_ticks(scale_.lo, scale_.hi, 5)) {
        const float x = p.x + float((t - scale_.lo) / (scale_.hi - scale_.lo)) * w;
        const std::string label = format_value(t);
        if (x + ImGui::CalcTextSize(label.c_str()).x / 2 + 8 < p.x + w - top_w) tick(x, label);
      }
      tick(p.x + w, top);
      ImGui::Dummy(ImVec2(w, ImGui::GetTextLineHeight() + 4));
    }
  } else {
    ImGui::TextDisabled("no field layer");
  }
  if (show_markers_) {
    // a line per table drawn as markers, then one per state its rows are in
    const auto swatch = [](Rgba c) {
      const ImVec2 p = ImGui::GetCursorScreenPos();
      const ImVec2 at(p.x + 5, p.y + ImGui::GetTextLineHeight() / 2);
      ImGui::GetWindowDrawList()->AddCircleFilled(at, 4.5f, im(c));
      ImGui::GetWindowDrawList()->AddCircle(at, 5.5f, IM_COL32(255, 255, 255, 230), 0, 1.5f);
      ImGui::Dummy(ImVec2(10, ImGui::GetTextLineHeight()));
      ImGui::SameLine();
    };
    for (size_t t = 0; t < f.tables.size(); ++t) {
      const TableData& table = *f.tables[t];
      if (table.marker_cell.empty()) continue;
      const int colour = color_column(table);
      const auto style = place_styles_.find(table.path);
      const int size = style != place_styles_.end() ? style->second.size : -1;
      const std::map<std::string, Rgba> colors = place_colors(table, t);
      std::map<std::string, size_t> values;
      for (const auto& row : table.marker_rows) ++values[colour >= 0 ? row[size_t(colour)] : ""];
      if (colour < 0) swatch(colors.at(""));
      ImGui::Text("%s  %zu%s", table.path.c_str(), table.marker_cell.size(),
                  size >= 0 ? ("  (size: " + table.columns[size_t(size)] + ")").c_str() : "");
      if (colour < 0) continue;
      // the most common values of the colour column
      std::vector<std::pair<size_t, std::string>> common;
      for (const auto& [value, n] : values) common.emplace_back(n, value);
      std::sort(common.rbegin(), common.rend());
      ImGui::Indent();
      for (size_t k = 0; k < common.size() && k < 6; ++k) {
        swatch(colors.at(common[k].second));
        ImGui::Text("%s  %zu", text(common[k].second).c_str(), common[k].first);
        if (k % 2 == 0 && k + 1 < std::min<size_t>(common.size(), 6)) ImGui::SameLine(0, 16);
      }
      ImGui::Unindent();
    }
  }
  if (show_points_ && !f.agents.cell.empty()) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    if (color_by_ == 0) {
      for (int a = 0; a < kActivities; ++a) {
        const ImVec2 p = ImGui::GetCursorScreenPos();
        dl->AddCircleFilled(ImVec2(p.x + 5, p.y + ImGui::GetTextLineHeight() / 2), 4.5f, im(activity_color(a)));
        ImGui::Dummy(ImVec2(10, ImGui::GetTextLineHeight()));
        ImGui::SameLine();
        ImGui::TextUnformatted(activity_name(Activity(a)));
        if (a + 1 < kActivities && a != 2) ImGui::SameLine();
      }
    } else {
      const char* groups[] = {"0-14", "15-64", "65-74", "75+"};
      const int first_age[] = {0, 15, 65, 75};
      for (int k = 0; k < 4; ++k) {
        const ImVec2 p = ImGui::GetCursorScreenPos();
        dl->AddCircleFilled(ImVec2(p.x + 5, p.y + ImGui::GetTextLineHeight() / 2), 4.5f, im(age_color(first_age[k])));
        ImGui::Dummy(ImVec2(10, ImGui::GetTextLineHeight()));
        ImGui::SameLine();
        ImGui::TextUnformatted(groups[k]);
        if (k < 3) ImGui::SameLine();
      }
    }
  }
  ImGui::End();
}

}  // namespace citysim::viz
