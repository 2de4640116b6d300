//! Reading a token: `Token::parse` (split, base64, JSON, claims) and `decode` of a held token.
//! Run with `cargo bench --bench token`.

mod common;

use actoken::samples;
use actoken::token::Token;

fn main() {
    divan::main();
}

#[divan::bench]
fn parse_platform_token(bencher: divan::Bencher) {
    let raw = common::token(0, common::now()).expose().to_owned();
    bencher.bench(|| Token::parse(divan::black_box(&raw)).unwrap());
}

#[divan::bench]
fn decode_held_token(bencher: divan::Bencher) {
    let token = common::token(0, common::now());
    bencher.bench(|| divan::black_box(&token).decode().unwrap());
}

#[divan::bench]
fn parse_api_page_sample(bencher: divan::Bencher) {
    bencher.bench(|| Token::parse(divan::black_box(samples::SAMPLE_REQUEST)));
}

/// Decoding 1000 tokens: what a 1000-row load costs on top of the keyring.
#[divan::bench]
fn decode_1000(bencher: divan::Bencher) {
    let tokens: Vec<Token> = (0..1000).map(|i| common::token(i, common::now())).collect();
    bencher.bench(|| {
        tokens
            .iter()
            .map(|t| t.decode().map(|d| d.claims.expire_time.is_some()))
            .filter(|ok| matches!(ok, Ok(true)))
            .count()
    });
}
