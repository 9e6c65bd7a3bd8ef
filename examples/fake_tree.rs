//! Makes a fake DAMON tree (the emulator's) for trying commands by hand
//! without touching the machine's DAMON: `cargo run --example fake_tree
//! -- DIR [VERSION [MODULE...]]`, then `DAMO_SYSFS_ROOT=DIR damo ...`.
fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: fake_tree DIR [VERSION [MODULE...]]"))?;
    let version = args.next().unwrap_or_else(|| "6.18".into());
    let root = std::path::Path::new(&dir);
    damo::sysfs::emul::create(root, &version)?;
    for m in args {
        damo::sysfs::emul::create_module(root, &m)?;
    }
    Ok(())
}
