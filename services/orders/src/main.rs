//! Wiring only: the platform runtime runs orders' definition.

fn main() -> anyhow::Result<()> {
    platform::main(orders::service())
}
