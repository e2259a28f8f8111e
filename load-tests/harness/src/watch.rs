//! CPU and memory of local processes during a run (from /proc): the given
//! pids and their descendants, so PostgreSQL's backends count with the
//! postmaster. Linux only; elsewhere the section stays empty.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

/// USER_HZ: the unit of /proc/<pid>/stat's CPU times on Linux.
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Debug, Clone, Serialize)]
pub struct ProcessFigures {
    pub name: String,
    /// Average cores used over the window.
    pub cpu_cores: f64,
    /// Peak memory (PSS) in MiB.
    pub memory_mib_max: f64,
}

struct Totals {
    ticks: u64,
    rss_kib: u64,
}

fn children_map() -> HashMap<u32, Vec<u32>> {
    let mut map: HashMap<u32, Vec<u32>> = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return map;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1).and_then(|v| v.parse().ok())) {
            map.entry(ppid).or_default().push(pid);
        }
    }
    map
}

/// Fields of /proc/<pid>/stat after the command name: state, ppid, …
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Proportional set size (shared pages split among their sharers, so
/// PostgreSQL's shared buffers count once across backends), else VmRSS.
fn memory_kib(pid: u32) -> u64 {
    let field = |file: &str, name: &str| -> Option<u64> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix(name))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    field("smaps_rollup", "Pss:")
        .or_else(|| field("status", "VmRSS:"))
        .unwrap_or(0)
}

fn totals(roots: &[u32], children: &HashMap<u32, Vec<u32>>) -> Totals {
    let mut stack: Vec<u32> = roots.to_vec();
    let (mut ticks, mut rss_kib) = (0, 0);
    while let Some(pid) = stack.pop() {
        if let Some(f) = stat_fields(pid) {
            // utime and stime are fields 14 and 15 of stat (11 and 12 here).
            ticks += f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            ticks += f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
        rss_kib += memory_kib(pid);
        stack.extend(children.get(&pid).into_iter().flatten());
    }
    Totals { ticks, rss_kib }
}

/// Samples the watched processes every second until `finish` is called.
pub struct Watcher {
    watched: Vec<(String, Vec<u32>)>,
    start: Vec<u64>,
    started: Instant,
    /// Ticks and time at the last `lap`.
    lap: std::sync::Mutex<(Vec<u64>, Instant)>,
    peak_rss: Arc<Mutex<Vec<u64>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Watcher {
    /// `specs`: NAME=PID[+PID...]
    pub fn start(specs: &[String]) -> anyhow::Result<Watcher> {
        let mut watched = Vec::new();
        for spec in specs {
            let (name, pids) = spec
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--watch {spec}: expected NAME=PID[+PID...]"))?;
            let pids = pids
                .split('+')
                .map(|p| p.trim().parse::<u32>())
                .collect::<Result<Vec<_>, _>>()?;
            watched.push((name.to_string(), pids));
        }
        let children = children_map();
        let start: Vec<u64> = watched
            .iter()
            .map(|(_, p)| totals(p, &children).ticks)
            .collect();
        let peak_rss = Arc::new(Mutex::new(vec![0u64; watched.len()]));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (w, peak, halt) = (watched.clone(), peak_rss.clone(), stop.clone());
        tokio::spawn(async move {
            while !halt.load(std::sync::atomic::Ordering::Relaxed) {
                let children = children_map();
                let now: Vec<u64> = w
                    .iter()
                    .map(|(_, p)| totals(p, &children).rss_kib)
                    .collect();
                for (p, n) in peak.lock().expect("lock").iter_mut().zip(now) {
                    *p = (*p).max(n);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let lap = std::sync::Mutex::new((start.clone(), Instant::now()));
        Ok(Watcher {
            watched,
            start,
            started: Instant::now(),
            lap,
            peak_rss,
            stop,
        })
    }

    /// CPU since the previous lap (or the start), and memory right now: the
    /// figures of one capacity step.
    pub fn lap(&self) -> Vec<ProcessFigures> {
        let children = children_map();
        let mut lap = self.lap.lock().expect("lock");
        let secs = lap.1.elapsed().as_secs_f64().max(0.001);
        let now: Vec<Totals> = self
            .watched
            .iter()
            .map(|(_, p)| totals(p, &children))
            .collect();
        let out = self
            .watched
            .iter()
            .zip(&now)
            .zip(&lap.0)
            .map(|(((name, _), t), before)| ProcessFigures {
                name: name.clone(),
                cpu_cores: t.ticks.saturating_sub(*before) as f64 / TICKS_PER_SECOND / secs,
                memory_mib_max: t.rss_kib as f64 / 1024.0,
            })
            .collect();
        *lap = (now.iter().map(|t| t.ticks).collect(), Instant::now());
        out
    }

    pub fn finish(self) -> Vec<ProcessFigures> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let children = children_map();
        let peak = self.peak_rss.lock().expect("lock").clone();
        self.watched
            .iter()
            .enumerate()
            .map(|(i, (name, pids))| {
                let end = totals(pids, &children).ticks;
                ProcessFigures {
                    name: name.clone(),
                    cpu_cores: end.saturating_sub(self.start[i]) as f64 / TICKS_PER_SECOND / secs,
                    memory_mib_max: peak[i] as f64 / 1024.0,
                }
            })
            .collect()
    }
}
