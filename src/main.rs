fn main() -> std::process::ExitCode {
    #[cfg(feature = "testing")]
    actoken::dashboard::tui::bench::mark_main_start();
    actoken::cli::main()
}
