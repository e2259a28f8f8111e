//! Wiring only: the platform runtime runs inventory's definition.

fn main() -> anyhow::Result<()> {
    platform::main(inventory::service())
}
