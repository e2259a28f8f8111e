//! Wiring only: the platform runtime runs the catalog's definition.

fn main() -> anyhow::Result<()> {
    platform::main(catalog::service())
}
