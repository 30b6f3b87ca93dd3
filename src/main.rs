fn main() {
    eprintln!("tracetopo: the command line arrives with the analysis");
}
