fn main() -> std::process::ExitCode {
    actoken::cli::main(&mut actoken::dashboard::tui::Unobserved)
}
