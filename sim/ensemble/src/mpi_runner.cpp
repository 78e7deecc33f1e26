// The MPI launcher (citysim/ensemble/mpi.hpp): built only with MPI. Rank 0 schedules, the
// other ranks run members. Messages (MPI_COMM_WORLD):
//   worker -> 0  kReady   (empty)                  once, when the worker starts
//   0 -> worker  kWork    int64 member index       run it
//   worker -> 0  kResult  "index\tstatus\twall\terror" (chars)   done; the worker is free again
//   0 -> worker  kStop    (empty)                  nothing left: leave the loop
// A worker that dies cannot be survived: Open MPI aborts the whole job when a rank exits
// abnormally (its default error handler). Rerunning the same mpirun resumes: complete member
// files are reused (docs/ensembles.md).
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "citysim/ensemble/mpi.hpp"

namespace citysim::ensemble {

namespace {

enum Tag : int { kReady = 1, kWork = 2, kResult = 3, kStop = 4 };

void send_text(const std::string& text, int dest, int tag) {
  MPI_Send(text.data(), int(text.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

std::string recv_text(const MPI_Status& status) {
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(size_t(count), '\0');
  MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return text;
}

// a worker: members from rank 0 until told to stop
void work(const Plan& plan, const std::string& ensemble_path, const RunOptions& o) {
  const std::vector<Member> members = plan.members();
  CityCache cache;
  send_text("", 0, kReady);
  for (;;) {
    // polled, not MPI_Probe: Open MPI's blocking calls spin a core, which an idle worker
    // waiting for a retry would take from the members still running on its node
    MPI_Status status;
    for (int flag = 0;;) {
      MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
      if (flag) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (status.MPI_TAG == kStop) {
      recv_text(status);
      return;
    }
    long long index = 0;
    MPI_Recv(&index, 1, MPI_LONG_LONG, 0, kWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    std::string outcome, error;
    const auto t0 = std::chrono::steady_clock::now();
    double wall = 0;
    try {
      const MemberRun run =
          run_member(plan, members.at(size_t(index)), ensemble_path, o.threads_per_member, o.stop, o.share_city ? &cache : nullptr);
      outcome = run.status, wall = run.wall_seconds;
    } catch (const std::exception& e) {
      outcome = "failed", error = e.what();
      wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    std::replace(error.begin(), error.end(), '\t', ' ');
    char head[64];
    std::snprintf(head, sizeof head, "%lld\t", index);
    send_text(head + outcome + "\t" + std::to_string(wall) + "\t" + error, 0, kResult);
  }
}

struct Pending {
  size_t index;
  int not_on = -1;  // a retry goes to another rank than the one it failed on
};

// rank 0: every selected member to the workers, dynamically, longest expected first
std::vector<MemberRecord> schedule(const Plan& plan, const std::string& ensemble_path, const RunOptions& o, int ranks) {
  std::vector<MemberRecord> records = inspect_members(plan, ensemble_path);
  // the variants' folders exist before any worker writes into them
  for (const Member& m : plan.members())
    std::filesystem::create_directories(
        std::filesystem::path(members_dir(ensemble_path) + "/" + member_path(plan, m)).parent_path());
  std::deque<Pending> queue;
  for (size_t i : members_to_run(plan, records, o.selection)) queue.push_back({i, -1});
  EnsembleProgress progress;
  progress.selected = o.selection.empty() ? records.size() : o.selection.size();
  progress.reused = progress.done = progress.selected - queue.size();
  const int workers = ranks - 1;
  std::vector<int> idle;
  std::map<int, size_t> running;  // rank -> member
  std::vector<int> attempts(records.size(), 0);
  std::vector<std::string> failed_on(records.size());  // "rank 2", then "; retried on rank 1"
  int stopped = 0;
  double run_seconds = 0;
  const auto start = std::chrono::steady_clock::now();
  auto last_report = start - std::chrono::seconds(1);

  const auto dispatch = [&] {
    const bool stopping = o.stop && *o.stop;
    for (auto w = idle.begin(); w != idle.end();) {
      if (stopping || (queue.empty() && running.empty())) {  // nothing left, and no retry can come
        send_text("", *w, kStop);
        ++stopped;
        w = idle.erase(w);
        continue;
      }
      // the first member this rank may take: a retry goes to another rank, unless no other can take it
      auto it = std::find_if(queue.begin(), queue.end(), [&](const Pending& p) { return p.not_on != *w; });
      if (it == queue.end() && !queue.empty() && (workers == 1 || (running.empty() && idle.size() == 1))) it = queue.begin();
      if (it == queue.end()) {  // wait: a running member may fail and need this rank for its retry
        ++w;
        continue;
      }
      const long long index = (long long)it->index;
      queue.erase(it);
      MPI_Send(&index, 1, MPI_LONG_LONG, *w, kWork, MPI_COMM_WORLD);
      running[*w] = size_t(index);
      ++attempts[size_t(index)];
      records[size_t(index)].status = "running";
      w = idle.erase(w);
    }
  };

  while (stopped < workers) {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
    if (flag) {
      const int from = status.MPI_SOURCE;
      const std::string text = recv_text(status);
      if (status.MPI_TAG == kResult) {
        std::istringstream in(text);
        std::string index_text, outcome, wall_text, error;
        std::getline(in, index_text, '\t');
        std::getline(in, outcome, '\t');
        std::getline(in, wall_text, '\t');
        std::getline(in, error);
        const size_t i = std::stoul(index_text);
        MemberRecord& rec = records[i];
        running.erase(from);
        rec.wall_seconds = std::stod(wall_text);
        if (outcome == "failed")
          failed_on[i] += (failed_on[i].empty() ? "rank " : "; retried on rank ") + std::to_string(from);
        if (outcome == "failed" && attempts[i] < 2 && !(o.stop && *o.stop)) {
          queue.push_front({i, from});  // retried once, on another rank when there is one
          rec.status = "missing";
          rec.error = error;
        } else {
          rec.status = outcome;
          rec.error = outcome == "failed" ? error + " [" + failed_on[i] + "]" : "";
          if (outcome == "complete") ++progress.done, run_seconds += rec.wall_seconds;
          if (outcome == "failed") ++progress.failed;
        }
      }
      idle.push_back(from);
    }
    dispatch();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report >= std::chrono::milliseconds(200) || stopped == workers) {
      last_report = now;
      progress.running = running.size();
      progress.wall_seconds = std::chrono::duration<double>(now - start).count();
      const size_t run_now = progress.done - progress.reused;
      const size_t left = progress.selected - progress.done - progress.failed;
      progress.eta_seconds = run_now ? run_seconds / double(run_now) * double(left) / std::max(1, workers) : 0;
      if (o.on_progress) o.on_progress(progress);
    }
    if (!flag) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // a safety net: every worker reported its member before it was stopped
  for (auto& rec : records)
    if (rec.status == "running") rec.status = "interrupted";
  return records;
}

}  // namespace

MpiRun run_members_mpi(const Plan& plan, const std::string& ensemble_path, const RunOptions& o) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MpiRun out;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &out.ranks);
  out.root = rank == 0;
  try {
    if (out.ranks < 2) {
      out.records = run_members(plan, ensemble_path, o);
    } else if (out.root) {
      out.records = schedule(plan, ensemble_path, o, out.ranks);
    } else {
      work(plan, ensemble_path, o);
    }
  } catch (const std::exception& e) {
    // a scheduler or worker that cannot go on (not a member failure): every rank stops
    std::fprintf(stderr, "error: rank %d: %s\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return out;
}

}  // namespace citysim::ensemble
