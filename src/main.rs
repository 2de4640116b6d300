fn main() -> std::process::ExitCode {
    actoken::tui::bench::mark_main_start();
    actoken::cli::main()
}
