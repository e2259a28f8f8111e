//! Wiring only: the platform runtime runs billing's definition.

fn main() -> anyhow::Result<()> {
    platform::main(billing::service())
}
