//! A fixed number of reviews, for counting instructions under callgrind:
//! `bench/review_instructions.sh` runs this twice (`N` and `N + 1000`
//! reviews) and divides the difference by 1,000. Instruction counts do not
//! move with the machine's load, which on the shared VMs these figures
//! come from swings wall-clock benches by ±15 % between runs, more than a
//! change to the review path is worth.
//!
//!   review_instructions <rootlock|serde_json> <allowed|denied> <count>
//!
//! `serde_json` is the peer, as in the `review` bench: the same body parsed
//! into a `Value` and written back.

use std::hint::black_box;
use std::process::ExitCode;

mod common;
use common::bodies::{bodies, offline_webhook, review, runtime, serde_json_roundtrip};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(who), Some(which), Some(Ok(count))) = (
        args.first(),
        args.get(1),
        args.get(2).map(|n| n.parse::<usize>()),
    ) else {
        eprintln!("usage: review_instructions <rootlock|serde_json> <allowed|denied> <count>");
        return ExitCode::from(2);
    };
    let (allowed, denied) = bodies();
    let body = match which.as_str() {
        "allowed" => allowed,
        "denied" => denied,
        _ => {
            eprintln!("review_instructions: {which}: not allowed or denied");
            return ExitCode::from(2);
        }
    };
    let wh = offline_webhook();
    let rt = runtime();
    let mut verdicts = 0usize;
    for _ in 0..count {
        let out = match who.as_str() {
            "rootlock" => review(&wh, &rt, black_box(&body)),
            "serde_json" => serde_json_roundtrip(black_box(&body)),
            _ => {
                eprintln!("review_instructions: {who}: not rootlock or serde_json");
                return ExitCode::from(2);
            }
        };
        verdicts += black_box(out).len();
    }
    println!("{verdicts}");
    ExitCode::SUCCESS
}
