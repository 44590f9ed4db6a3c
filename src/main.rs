use std::process::ExitCode;

fn main() -> ExitCode {
    lvzhi::cli::main()
}
