// The visualizer's screen: the map (field layer, borders, names, residents, markers),
// the time bar, layer panel, charts, events, scenario knobs, legend and presentation
// mode with a scripted tour. Draws with Dear ImGui plus MapGl for the points.
#pragma once
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <imgui.h>

#include "map_gl.hpp"
#include "scenario_io.hpp"
#include "source.hpp"

namespace citysim::viz {

struct ViewOptions {
  std::string layer;                    // field shown first ("" = the first one)
  std::string color_by = "activity";    // residents: activity or age
  std::string scenario_path;            // where the scenario came from (save defaults next to it)
  std::vector<TourStop> tour;           // presentation tour (T starts it), optional
  size_t first_stop = 0;                // the tour's or story's stop entered first
  bool presentation = false;
  bool still = false;  // a screenshot: no frame timings on screen
  std::string panel = "charts";         // side panel tab open first: charts, events, scenario
  std::string lang = "en";              // municipality names: ja or en
  // place layers' styles, "TABLE:COLOUR_COLUMN[:SIZE_COLUMN]" (an empty column: the default)
  std::vector<std::string> places;
  std::optional<std::array<double, 3>> view;  // lat, lon, zoom (relative to the whole city) to start at
};

struct Fonts {
  ImFont* normal = nullptr;
  ImFont* big = nullptr;
  bool japanese = false;  // a CJK font is merged into `normal`
};
// DejaVu Sans when installed, else ImGui's built-in font, with a CJK font merged in when
// one is installed (its glyphs: ImGui's Japanese set plus extra_glyphs, e.g. the
// municipalities' names); call before the first frame
Fonts load_fonts(float scale, const std::string& extra_glyphs);

class App {
 public:
  App(Source& source, LiveSource* live, ViewOptions options, Fonts fonts, double speed);
  // build this frame's GUI (between ImGui::NewFrame and ImGui::Render)
  void frame(double dt_s);
  // the window should switch between windowed and full screen (F11)
  bool take_fullscreen_request() { return std::exchange(fullscreen_request_, false); }
  double mean_frame_ms() const { return frame_ms_; }
  // the run's status as the time bar shows it ("replay  ·  interrupted at ...")
  std::string status() const;

 private:
  struct Camera {
    double cx = 0, cy = 0;  // world point at the display centre
    double scale = 1;       // pixels per world unit (one cell height)
  };

  void prepare_grid();
  void on_new_frame(const Frame& f);
  void choose_default_charts(const Frame& f);
  void update_field_texture(const Frame& f);
  void update_points(const Frame& f);
  void fit_camera(Camera& cam) const;
  // centre a camera on a place, zoom times closer than the whole-city view
  void aim_camera(Camera& cam, double lat, double lon, double zoom) const;
  ImVec2 to_screen(double x, double y) const;
  float panel_width() const { return std::clamp(display_.x * 0.22f, 220.0f, 300.0f); }
  float side_width() const { return std::clamp(display_.x * 0.26f, 240.0f, 420.0f); }
  float story_charts_width() const { return std::clamp(display_.x * 0.27f, 280.0f, 480.0f); }
  void handle_input();
  // text as the fonts can show it
  std::string text(const std::string& s) const;
  void run_tour(double dt_s);

  void draw_map(const Frame& f);
  void draw_markers(const Frame& f, ImDrawList* dl);
  void draw_names(ImDrawList* dl);
  void draw_scale_and_north(ImDrawList* dl);
  void draw_aircraft(const Frame& f, ImDrawList* dl);
  // the grid block (mainland or island inset) holding a place, and the place in map units
  const GridBlock* block_of(double lat, double lon) const;
  ImVec2 map_point(const GridBlock& block, double lat, double lon) const;
  void draw_hover(const Frame& f);
  void draw_time_bar(const Frame& f);
  void draw_clock(const Frame& f);
  void draw_caption();
  void draw_layers_panel(const Frame& f);
  void draw_side_panel(const Frame& f);
  void draw_charts(const Frame& f);
  void draw_chart(const Frame& f, const SeriesHistory& s, float height, bool labels);
  void draw_story_charts(const Frame& f);
  void draw_events(const Frame& f);
  void draw_scenario();
  // a knob's widget; the new value when it was changed this frame
  std::optional<Value> draw_knob(const KeySpec& k);
  // an edit into the scenario kept for restart and saving, and (live_now) into the run
  void apply_knob(const KeySpec& k, const Value& value, bool live_now);
  void draw_legend(const Frame& f);

  Source& source_;
  LiveSource* live_;
  ViewOptions options_;
  Fonts fonts_;
  MapGl gl_;

  // the grid, precomputed for drawing
  double aspect_ = 1;                           // cell width / cell height on the ground
  double land_cells_ = 0;
  std::vector<std::vector<ImVec2>> outlines_;   // municipal boundary rings in map units (x = col * aspect, y = row)
  double x0_ = 0, y0_ = 0, x1_ = 1, y1_ = 1;    // land bounding box, world units
  struct PlaceName {
    ImVec2 at;  // map units
    std::string en, ja;
  };
  std::vector<PlaceName> names_;  // the most populous first
  double cell_height_m_ = 1000;   // ground metres per map unit (the scale bar)
  struct Vertiport {
    std::string name;
    ImVec2 at;  // map units
    int pads;
  };
  std::vector<Vertiport> vertiports_;

  std::shared_ptr<const Frame> frame_;
  uint64_t field_serial_ = 0, points_serial_ = 0;
  std::string layer_, texture_layer_;
  ColorScale scale_;
  double sticky_hi_ = 0;  // the colour scale's top only grows while a layer is shown

  std::vector<PointVertex> points_;
  double since_points_s_ = 0, points_interval_s_ = 0.1;
  int color_by_ = 0;  // 0 activity, 1 age
  double busy_cell_points_ = 1;

  Camera cam_, cam_target_;
  bool fitted_ = false, camera_animating_ = false;
  ImVec2 display_{0, 0};

  bool show_points_ = true, show_borders_ = true, show_names_ = true, show_markers_ = true;
  // how each place layer (table path) is drawn: the columns symbols are coloured and sized by
  struct PlaceStyle {
    int color = -1;  // a column, -1 = the table's state/status/kind column
    int size = -1;   // a numeric column, -1 = the count of rows
  };
  std::map<std::string, PlaceStyle> place_styles_;
  int color_column(const TableData& t) const;
  void apply_place_options(const Frame& f);  // ViewOptions::places, once their tables exist
  // a place layer's colours by value of its colour column (states in their fixed colours,
  // other values in turn), or "" -> the table's one colour
  std::map<std::string, Rgba> place_colors(const TableData& t, size_t table_index) const;
  // the symbols drawn this frame, for the hover tooltip
  struct MarkerHit {
    ImVec2 at;
    float radius;
    size_t table, first;  // the table and one of its marker rows
    int count;
  };
  std::vector<MarkerHit> marker_hits_;
  bool draw_marker_tooltip(const Frame& f);
  int names_lang_ = 0;  // 0 English, 1 Japanese
  bool presentation_ = false, fullscreen_request_ = false;
  float field_alpha_ = 1.0f;
  float speed_ = 600;
  bool max_speed_ = false;
  char jump_text_[32] = "", jump_hint_[32] = "";
  std::set<std::string> charted_;
  int side_frames_ = 0;

  Scenario edited_;
  std::set<std::string> edited_keys_;
  char save_path_[256] = "";
  std::string save_message_;

  std::vector<TourStop> tour_;
  bool touring_ = false;
  size_t tour_index_ = 0;
  double tour_elapsed_s_ = 0;

  double frame_ms_ = 0;
};

}  // namespace citysim::viz
