using System.Diagnostics;

namespace MLNetAdam.Benchmarks.SideBySide;

/// <summary>Starts this benchmark program (or another command) as a child process and captures its output.</summary>
internal static class ChildProcess
{
    /// <summary>A start-info that runs this same program with <paramref name="args"/>, whether it was started as <c>dotnet x.dll</c> or through its apphost.</summary>
    public static ProcessStartInfo Self(params string[] args)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>Runs to completion; returns stdout; throws with stderr on a non-zero exit.</summary>
    public static string Run(ProcessStartInfo psi, TimeSpan timeout)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {psi.FileName}.");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{psi.FileName} {string.Join(' ', psi.ArgumentList)} did not finish in {timeout}.");
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{psi.FileName} {string.Join(' ', psi.ArgumentList)} exited with {p.ExitCode}:\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }

    /// <summary>The last line of <paramref name="output"/> that starts with <paramref name="prefix"/>, without the prefix.</summary>
    public static string LastLine(string output, string prefix) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..]
        ?? throw new InvalidDataException($"No line starting with '{prefix}' in:\n{output}");
}
