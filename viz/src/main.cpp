// citysim-viz — watch a city simulation live, replay a results file, or render one
// frame to PNG (--screenshot, works under Xvfb).
// exit codes: 0 ok, 1 graphics failure, 2 bad input (file, option, scenario) or no display
#include <CLI/CLI.hpp>
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "app.hpp"
#include "citysim/io/scenario_file.hpp"
#include "map_gl.hpp"
#include "png_io.hpp"
#include "scenario_io.hpp"
#include "source.hpp"

namespace {

using namespace citysim;
using namespace citysim::viz;

constexpr int kGraphicsFailure = 1, kBadInput = 2;

std::string g_glfw_error;
void on_glfw_error(int, const char* text) { g_glfw_error = text; }

struct Options {
  std::string input, screenshot, at, layer, size = "1600x900", color_by = "activity", tour, panel = "charts", view, lang = "en";
  std::string story, record, variant;
  int fps = 30;
  std::vector<std::string> sets, places;
  int threads = 0, bench_frames = 0, story_step = 1;
  double speed = 600;
  size_t max_agents = 200000;
  bool fullscreen = false, presentation = false, play = false;
};

bool has_display() {
  const char* x = std::getenv("DISPLAY");
  const char* wl = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (wl && *wl);
}

// one ImGui frame: GUI built by the app, drawn into whatever framebuffer is bound
void render_frame(App& app, double dt, int width, int height, bool headless) {
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGuiIO& io = ImGui::GetIO();
  if (headless) {
    // an invisible window: its size is ours, and no mouse hovers over it
    io.DisplaySize = ImVec2(float(width), float(height));
    io.DisplayFramebufferScale = ImVec2(1, 1);
    io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
  }
  ImGui::NewFrame();
  app.frame(dt);
  ImGui::Render();
  const int fb_w = int(io.DisplaySize.x * io.DisplayFramebufferScale.x);
  const int fb_h = int(io.DisplaySize.y * io.DisplayFramebufferScale.y);
  glViewport(0, 0, fb_w, fb_h);
  glClearColor(0.055f, 0.078f, 0.125f, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

// headless: a few frames into an offscreen framebuffer (auto-sized windows settle), then PNG
void screenshot(App& app, Source& source, const std::string& path, int width, int height) {
  OffscreenTarget target(width, height);
  for (int i = 0; i < 4; ++i) {
    target.bind();
    render_frame(app, 1.0 / 30, width, height, true);
  }
  glFinish();
  write_png(path, Image{width, height, target.read()});
  std::printf("%s: %dx%d, %s, %s\n", path.c_str(), width, height, format_datetime(source.frame()->now).substr(0, 16).c_str(),
              app.status().c_str());
}

// ffmpeg on the PATH, "" when there is none
std::string find_ffmpeg() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / "ffmpeg";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

// --record: the story played once, headless at a fixed frame rate, each frame piped to ffmpeg
int record_video(App& app, const std::string& ffmpeg, const std::string& path, int width, int height, int fps, double seconds) {
  const std::string command = "'" + ffmpeg + "' -loglevel error -y -f rawvideo -pix_fmt rgba -s " + std::to_string(width) + "x" +
                              std::to_string(height) + " -framerate " + std::to_string(fps) +
                              " -i - -c:v libx264 -pix_fmt yuv420p -movflags +faststart '" + path + "'";
  FILE* pipe = popen(command.c_str(), "w");
  if (!pipe) {
    std::fprintf(stderr, "error: cannot start %s\n", ffmpeg.c_str());
    return kGraphicsFailure;
  }
  OffscreenTarget target(width, height);
  const int frames = std::max(1, int(std::lround(seconds * fps)));
  bool written = true;
  for (int i = 0; i < frames && written; ++i) {
    target.bind();
    render_frame(app, 1.0 / fps, width, height, true);
    const std::vector<uint8_t> rgba = target.read();
    written = std::fwrite(rgba.data(), 1, rgba.size(), pipe) == rgba.size();
  }
  const int status = pclose(pipe);
  if (!written || status != 0) {
    std::fprintf(stderr, "error: ffmpeg could not write %s (exit status %d)\n", path.c_str(), status);
    return kGraphicsFailure;
  }
  std::printf("%s: %dx%d, %d frames at %d fps (%.1f s)\n", path.c_str(), width, height, frames, fps, double(frames) / fps);
  return 0;
}

// F11: full screen on the primary monitor and back to the window it was
void toggle_fullscreen(GLFWwindow* window, bool& is_fullscreen, int (&saved)[4]) {
  if (is_fullscreen) {
    glfwSetWindowMonitor(window, nullptr, saved[0], saved[1], saved[2], saved[3], 0);
  } else {
    glfwGetWindowPos(window, &saved[0], &saved[1]);
    glfwGetWindowSize(window, &saved[2], &saved[3]);
    GLFWmonitor* m = glfwGetPrimaryMonitor();
    const GLFWvidmode* mode = glfwGetVideoMode(m);
    glfwSetWindowMonitor(window, m, 0, 0, mode->width, mode->height, mode->refreshRate);
  }
  is_fullscreen = !is_fullscreen;
}

// the window's loop; with --bench-frames it stops after that many frames and prints timings
void interactive(GLFWwindow* window, App& app, Source& source, LiveSource* live, const Options& o, bool is_fullscreen) {
  source.set_speed(o.speed);
  if (live) live->start();
  if (o.play || o.bench_frames > 0) source.play(true);
  using clock = std::chrono::steady_clock;
  auto last = clock::now();
  const auto start = last;
  const int64_t tick0 = source.frame()->tick;
  std::vector<double> frame_ms;
  int saved[4] = {50, 50, 1600, 900};
  while (!glfwWindowShouldClose(window)) {
    glfwPollEvents();
    const auto now = clock::now();
    const double dt = std::chrono::duration<double>(now - last).count();
    last = now;
    if (o.bench_frames > 0) frame_ms.push_back(dt * 1000);
    render_frame(app, dt, 0, 0, false);
    glfwSwapBuffers(window);
    if (app.take_fullscreen_request()) toggle_fullscreen(window, is_fullscreen, saved);
    if (o.bench_frames > 0 && (int(frame_ms.size()) > o.bench_frames || source.frame()->finished)) break;
  }
  if (o.bench_frames <= 0 || frame_ms.size() < 2) return;
  frame_ms.erase(frame_ms.begin());  // the first frame includes start-up
  std::sort(frame_ms.begin(), frame_ms.end());
  double sum = 0;
  for (double v : frame_ms) sum += v;
  const auto f = source.frame();
  const double wall = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("frames %zu  mean %.2f ms  median %.2f ms  p95 %.2f ms  points %zu  ticks %lld in %.2f s (%.0f ticks/s)\n",
              frame_ms.size(), sum / double(frame_ms.size()), frame_ms[frame_ms.size() / 2],
              frame_ms[frame_ms.size() * 95 / 100], f->agents.cell.size(), (long long)(f->tick - tick0), wall,
              double(f->tick - tick0) / wall);
}

int run(const Options& o) {
  if (!std::filesystem::is_regular_file(o.input)) {
    std::fprintf(stderr, "error: %s: no such file (expected a scenario .toml or a results .h5)\n", o.input.c_str());
    return kBadInput;
  }
  int width = 0, height = 0;
  if (std::sscanf(o.size.c_str(), "%dx%d", &width, &height) != 2 || width < 64 || height < 64 || width > 16384 ||
      height > 16384) {
    std::fprintf(stderr, "error: --size %s: expected WIDTHxHEIGHT, e.g. 1600x900 (64 to 16384 pixels)\n", o.size.c_str());
    return kBadInput;
  }
  std::optional<LocalSeconds> at;
  if (!o.at.empty() && !(at = parse_datetime(o.at))) {
    std::fprintf(stderr, "error: --at %s: expected a date and time like 2026-08-03T14:00\n", o.at.c_str());
    return kBadInput;
  }
  std::optional<std::array<double, 3>> view_at;
  if (!o.view.empty()) {
    std::array<double, 3> v{0, 0, 1};
    const int n = std::sscanf(o.view.c_str(), "%lf,%lf,%lf", &v[0], &v[1], &v[2]);
    if (n < 2 || v[2] <= 0) {
      std::fprintf(stderr, "error: --view %s: expected LAT,LON[,ZOOM], e.g. 35.68,139.76,4\n", o.view.c_str());
      return kBadInput;
    }
    view_at = v;
  }
  std::vector<TourStop> tour;
  try {
    if (!o.tour.empty()) tour = read_tour(o.tour);
    if (!o.story.empty()) tour = read_tour(o.story);
    if (o.story_step > 1 && size_t(o.story_step) > tour.size())
      throw std::runtime_error(o.story + ": --story-step " + std::to_string(o.story_step) + " is past its last step (" +
                               std::to_string(tour.size()) + " steps)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s %s\n", o.story.empty() ? "--tour" : "--story", e.what());
    return kBadInput;
  }
  std::string ffmpeg;
  if (!o.record.empty()) {
    if (o.story.empty()) {
      std::fprintf(stderr, "error: --record needs a --story to play\n");
      return kBadInput;
    }
    if (width % 2 || height % 2) {
      std::fprintf(stderr, "error: --record: the video's --size must be even in both directions (H.264), got %s\n", o.size.c_str());
      return kBadInput;
    }
    if ((ffmpeg = find_ffmpeg()).empty()) {
      std::fprintf(stderr, "error: --record needs ffmpeg on the PATH (Debian: apt-get install ffmpeg)\n");
      return kBadInput;
    }
  }
  const bool headless = !o.screenshot.empty() || !o.record.empty();
  if (!has_display()) {
    std::fprintf(stderr,
                 "error: no display (DISPLAY is not set). citysim-viz needs a window; for a picture without a "
                 "screen run it under Xvfb: xvfb-run -a citysim-viz %s --screenshot out.png\n",
                 o.input.c_str());
    return kBadInput;
  }

  // the data first: bad input is reported before any window opens
  std::unique_ptr<Source> source;
  LiveSource* live = nullptr;
  try {
    if (viz::is_ensemble_file(o.input)) {
      auto e = std::make_unique<EnsembleSource>(o.input);
      if (!o.variant.empty()) {
        const auto& names = e->variants();
        const auto at = std::find(names.begin(), names.end(), o.variant);
        if (at == names.end()) {
          std::string known;
          for (const auto& n : names) known += " " + n;
          std::fprintf(stderr, "error: --variant %s: no such variant in %s; variants:%s\n", o.variant.c_str(), o.input.c_str(),
                       known.c_str());
          return kBadInput;
        }
        e->set_variant(size_t(at - names.begin()));
      }
      source = std::move(e);
    } else if (viz::is_results_file(o.input)) {
      if (!o.sets.empty()) std::fprintf(stderr, "note: --set is ignored when replaying a results file\n");
      source = std::make_unique<ReplaySource>(o.input);
    } else {
      // a window leaves one core to the renderer; a screenshot takes them all
      const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
      const int threads = o.threads > 0 ? o.threads : headless ? cores : std::max(1, cores - 1);
      auto l = std::make_unique<LiveSource>(io::load_scenario(o.input, o.sets), threads, o.max_agents);
      live = l.get();
      source = std::move(l);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kBadInput;
  }
  if (!o.layer.empty() && !source->frame()->field(o.layer)) {
    std::string known;
    for (const auto& f : *source->frame()->fields) known += " " + f.path;
    std::fprintf(stderr, "error: --layer %s: no such field in this run; fields:%s\n", o.layer.c_str(),
                 known.empty() ? " (none)" : known.c_str());
    return kBadInput;
  }
  if (at) {
    const auto f = source->frame();
    if (*at < f->start || *at > f->end) {
      std::fprintf(stderr, "error: --at %s is outside the run (%s to %s)\n", o.at.c_str(),
                   format_datetime(f->start).substr(0, 16).c_str(), format_datetime(f->end).substr(0, 16).c_str());
      return kBadInput;
    }
    if (live && headless) live->advance_to(*at);
    else source->seek(*at);
  } else if (live && headless && !tour.empty() && tour[size_t(o.story_step - 1)].at) {
    live->advance_to(*tour[size_t(o.story_step - 1)].at);  // a still of a live story step: simulate up to it
  }

  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit()) {
    std::fprintf(stderr, "error: cannot open the display: %s\n", g_glfw_error.c_str());
    return kBadInput;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  glfwWindowHint(GLFW_VISIBLE, headless ? GLFW_FALSE : GLFW_TRUE);
  GLFWmonitor* monitor = o.fullscreen && !headless ? glfwGetPrimaryMonitor() : nullptr;
  if (monitor) {
    const GLFWvidmode* mode = glfwGetVideoMode(monitor);
    width = mode->width, height = mode->height;
  }
  const std::string title = "citysim-viz — " + source->name();
  GLFWwindow* window = glfwCreateWindow(width, height, title.c_str(), monitor, nullptr);
  if (!window) {
    std::fprintf(stderr, "error: cannot create an OpenGL 3.3 window: %s\n", g_glfw_error.c_str());
    glfwTerminate();
    return kGraphicsFailure;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(o.bench_frames > 0 ? 0 : 1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the layout is ours, not remembered in a file
  ImGui::StyleColorsDark();
  ImGuiStyle& style = ImGui::GetStyle();
  style.WindowRounding = 6, style.FrameRounding = 4, style.GrabRounding = 4;
  float content_scale = 1;
  if (!headless) glfwGetWindowContentScale(window, &content_scale, nullptr);
  style.ScaleAllSizes(content_scale);
  std::string japanese;  // the names' and captions' glyphs go into the CJK font
  for (const Municipality& mu : source->grid().municipalities) japanese += mu.name_ja;
  for (const TourStop& step : tour) japanese += step.caption_ja;
  const Fonts fonts = load_fonts(content_scale, japanese);
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");

  int rc = 0;
  try {
    ViewOptions view;
    view.layer = o.layer;
    view.color_by = o.color_by;
    view.scenario_path = o.input;
    view.tour = tour;
    view.first_stop = size_t(o.story_step - 1);
    view.panel = o.panel;
    view.lang = o.lang;
    view.places = o.places;
    view.view = view_at;
    view.presentation = o.presentation || !o.story.empty();
    view.still = headless;
    App app(*source, live, view, fonts, o.speed);
    if (!o.record.empty()) {
      source->set_speed(o.speed);
      if (live) live->start();
      rc = record_video(app, ffmpeg, o.record, width, height, o.fps, tour_seconds(tour));
    } else if (headless) {
      screenshot(app, *source, o.screenshot, width, height);
    } else {
      interactive(window, app, *source, live, o, monitor != nullptr);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    rc = kGraphicsFailure;
  }
  source.reset();  // stops the worker before the GL context goes
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"citysim-viz: watch a citysim run live, replay a results file, or render a screenshot"};
  Options o;
  cli.add_option("input", o.input,
                 "scenario file (.toml, runs live), results file (.h5, replays) or ensemble file (.ens.h5, replays a "
                 "variant with its median and 5-95% band)")
      ->required();
  cli.add_option("--screenshot", o.screenshot, "render one frame to this PNG and exit (works under xvfb-run)");
  cli.add_option("--at", o.at, "show this time, e.g. 2026-08-03T14:00 (live: simulate up to it)");
  cli.add_option("--layer", o.layer, "field shown on the map, e.g. residents/present or heat/wbgt");
  cli.add_option("--size", o.size, "window or screenshot size, WIDTHxHEIGHT (default 1600x900)");
  cli.add_option("--set", o.sets, "override a scenario key, e.g. --set city.population_scale=0.01")->take_all();
  cli.add_option("--threads", o.threads, "simulation threads (default: all cores but one for the window)")->check(CLI::NonNegativeNumber);
  cli.add_option("--agents", o.max_agents, "most residents drawn as points (default 200000)");
  cli.add_option("--color-by", o.color_by, "residents coloured by activity or age")->check(CLI::IsMember({"activity", "age"}));
  cli.add_option("--tour", o.tour, "presentation tour (TOML with [[stop]] at, layer, lat, lon, zoom, hold_seconds); T starts it");
  cli.add_option("--story", o.story,
                 "a story (TOML with [[step]] at, layer, lat, lon, zoom, overlays, caption_ja, caption_en, hold_seconds), "
                 "played in presentation mode");
  cli.add_option("--story-step", o.story_step, "the --story step shown first (1 = the first), e.g. for a still")
      ->check(CLI::PositiveNumber);
  cli.add_option("--record", o.record, "play the --story once without a window and write it as a video (H.264, needs ffmpeg)");
  cli.add_option("--fps", o.fps, "frames per second of a --record video (default 30)")->check(CLI::Range(1, 120));
  cli.add_option("--place", o.places,
                 "a place layer's style: TABLE:COLOUR_COLUMN[:SIZE_COLUMN], e.g. network/outages:kind:seen_after_min")
      ->take_all();
  cli.add_option("--variant", o.variant, "an ensemble file's variant shown first (default: the first)");
  cli.add_option("--panel", o.panel, "side panel tab shown first: charts, events or scenario")
      ->check(CLI::IsMember({"charts", "events", "scenario"}));
  cli.add_option("--view", o.view, "start centred on LAT,LON[,ZOOM] (zoom relative to the whole city), e.g. 35.68,139.76,4");
  cli.add_option("--lang", o.lang, "municipality names in ja (Japanese, needs a CJK font) or en (default)")
      ->check(CLI::IsMember({"ja", "en"}));
  cli.add_flag("--presentation", o.presentation, "start in presentation mode (panels hidden; P toggles)");
  cli.add_flag("--fullscreen", o.fullscreen, "start full screen (F11 toggles)");
  cli.add_flag("--play", o.play, "start playing");
  cli.add_option("--speed", o.speed, "simulated seconds per second (default 600; 0 = as fast as possible)")
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--bench-frames", o.bench_frames,
                 "play this many frames (or to the end of the run) without vsync, print frame times and exit")
      ->check(CLI::NonNegativeNumber);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = cli.exit(e);
    return rc == 0 ? 0 : kBadInput;
  }
  return run(o);
}
