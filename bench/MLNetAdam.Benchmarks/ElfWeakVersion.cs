using System.Buffers.Binary;
using System.Text;

namespace MLNetAdam.Benchmarks;

/// <summary>
/// Marks one symbol-version requirement of an ELF64 little-endian shared library as weak (<c>VER_FLG_WEAK</c>),
/// so that the dynamic loader only warns instead of refusing to load when the version is missing.
/// </summary>
/// <remarks>
/// TorchSharp-cpu 0.107.0's <c>libLibTorchSharp.so</c> requires <c>GLIBCXX_3.4.32</c> (GCC 13's libstdc++), which
/// Debian 12 lacks; the only symbol with that version, <c>std::ios_base_library_init()</c>, is never called, so the
/// library works once the requirement is weak. The patch sets bit 0x2 in <c>vna_flags</c> of the matching
/// <c>Elf64_Vernaux</c> entry of the <c>SHT_GNU_verneed</c> (<c>.gnu.version_r</c>) section. It is only ever applied
/// to the copy in this benchmark's own output folder, written to a new file and moved over the old one (so a hard link
/// into the NuGet cache is never modified in place).
/// </remarks>
internal static class ElfWeakVersion
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>What <see cref="MarkWeak"/> did.</summary>
    public enum Result
    {
        /// <summary>The entry was strong and is now weak.</summary>
        Patched,
        /// <summary>The entry was already weak.</summary>
        AlreadyWeak,
        /// <summary>The library requires no such version.</summary>
        NotRequired,
    }

    /// <summary>Marks every requirement of <paramref name="version"/> in <paramref name="path"/> weak.</summary>
    public static Result MarkWeak(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        Result result = MarkWeak(elf, version);
        if (result == Result.Patched)
        {
            string temp = path + ".patching";
            File.WriteAllBytes(temp, elf);
            File.Move(temp, path, overwrite: true);
        }
        return result;
    }

    /// <summary>Patches the image in memory.</summary>
    public static Result MarkWeak(byte[] elf, string version)
    {
        ReadOnlySpan<byte> s = elf;
        if (elf.Length < 64 || s[0] != 0x7f || s[1] != (byte)'E' || s[2] != (byte)'L' || s[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (s[4] != 2 || s[5] != 1)
            throw new InvalidDataException("Only ELF64 little-endian is supported.");

        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(s[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3C..]);
        if (shoff == 0 || shentsize < 64)
            throw new InvalidDataException("The ELF file has no section headers.");

        byte[] wanted = Encoding.ASCII.GetBytes(version);
        bool found = false, patched = false;
        for (int i = 0; i < shnum; i++)
        {
            ReadOnlySpan<byte> sh = s.Slice(checked((int)shoff + i * shentsize), 64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed)
                continue;
            int offset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]));
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);   // the string table (.dynstr)
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x2C..]);  // number of Verneed entries
            ReadOnlySpan<byte> strSh = s.Slice(checked((int)shoff + link * shentsize), 64);
            int strOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(strSh[0x18..]));

            int vn = offset;
            for (int n = 0; n < count; n++)
            {
                // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(s[(vn + 2)..]);
                int aux = vn + (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(vn + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                    int name = strOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(s[(aux + 8)..]);
                    int end = s[name..].IndexOf((byte)0);
                    if (s.Slice(name, end).SequenceEqual(wanted))
                    {
                        found = true;
                        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(s[(aux + 4)..]);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(aux + 4), (ushort)(flags | VerFlgWeak));
                            patched = true;
                        }
                    }
                    uint next = BinaryPrimitives.ReadUInt32LittleEndian(s[(aux + 12)..]);
                    if (next == 0)
                        break;
                    aux += (int)next;
                }
                uint vnNext = BinaryPrimitives.ReadUInt32LittleEndian(s[(vn + 12)..]);
                if (vnNext == 0)
                    break;
                vn += (int)vnNext;
            }
        }
        return patched ? Result.Patched : found ? Result.AlreadyWeak : Result.NotRequired;
    }

    /// <summary>
    /// Makes TorchSharp loadable on a libstdc++ older than GCC 13's: patches every <c>libLibTorchSharp.so</c> in this
    /// program's output folder (never the NuGet cache). Must run before the first TorchSharp call.
    /// </summary>
    public static void PrepareTorchSharp(TextWriter log)
    {
        if (!OperatingSystem.IsLinux())
            return;
        string baseDir = AppContext.BaseDirectory;
        var candidates = new[]
        {
            Path.Combine(baseDir, "libLibTorchSharp.so"),
            Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
        };
        foreach (string lib in candidates.Where(File.Exists))
        {
            Result r = MarkWeak(lib, "GLIBCXX_3.4.32");
            if (r == Result.Patched)
                log.WriteLine($"# patched {Path.GetRelativePath(baseDir, lib)}: GLIBCXX_3.4.32 requirement marked weak (VER_FLG_WEAK)");
        }
    }
}
