//! actoken with the start-up probe of `scripts/bench.sh` (see `actoken::bench_probe`): the
//! same program, whose dashboard reports when its first frame and its full table were drawn.
//! Built only with the `testing` feature; the product binary has no probe.

fn main() -> std::process::ExitCode {
    actoken::bench_probe::mark_main_start();
    let mut observer = actoken::bench_probe::Probe::observer_from_env();
    actoken::cli::main(observer.as_mut())
}
