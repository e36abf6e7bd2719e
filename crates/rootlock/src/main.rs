fn main() {
    eprintln!("rootlock: not yet implemented");
    std::process::exit(2);
}
