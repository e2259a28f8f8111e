//! Wiring only: the platform runtime runs procurement's definition.

fn main() -> anyhow::Result<()> {
    platform::main(procurement::service())
}
