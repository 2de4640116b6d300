fn main() -> std::process::ExitCode {
    actoken::cli::main()
}
