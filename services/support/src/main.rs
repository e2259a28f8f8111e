//! Wiring only: the platform runtime runs support's definition.

fn main() -> anyhow::Result<()> {
    platform::main(support::service())
}
