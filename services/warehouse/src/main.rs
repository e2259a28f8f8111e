//! Wiring only: the platform runtime runs the warehouse's definition.

fn main() -> anyhow::Result<()> {
    platform::main(warehouse::service())
}
