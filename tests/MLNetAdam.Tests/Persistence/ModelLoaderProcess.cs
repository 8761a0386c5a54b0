using System.Diagnostics;
using System.Text.Json;

namespace MLNetAdam.Tests.Persistence;

/// <summary>
/// Runs tests/ModelLoader — an app that references only ML.NET and its ONNX packages, not MLNetAdam — as a child
/// process, to load a saved model the way a user's app would. The app is built once per test run.
/// </summary>
internal static class ModelLoaderProcess
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static readonly Lazy<string> LoaderDll = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Loads <paramref name="modelPath"/> in a fresh process, scores <paramref name="dataPath"/> and returns the loader's JSON.</summary>
    /// <param name="modelPath">A model saved with <c>mlContext.Model.Save</c>.</param>
    /// <param name="dataPath">Rows saved with <c>mlContext.Data.SaveAsBinary</c>.</param>
    /// <param name="options">Loader options (<c>--columns</c>, <c>--evaluate</c>, <c>--engine</c>).</param>
    public static JsonDocument Run(string modelPath, string dataPath, params string[] options)
    {
        string output = Path.Combine(Path.GetDirectoryName(modelPath)!, $"loader-{Guid.NewGuid():N}.json");
        var (exitCode, stdout, stderr) = Execute(DotnetHost(), [LoaderDll.Value, modelPath, dataPath, output, .. options], TimeSpan.FromMinutes(2), forBuild: false);
        if (exitCode != 0)
            throw new InvalidOperationException($"ModelLoader failed with exit code {exitCode}.\n{stdout}\n{stderr}");
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(output));
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static string Build() => BuildProject("ModelLoader");

    /// <summary>Builds tests/<paramref name="name"/>/<paramref name="name"/>.csproj once and returns its DLL.</summary>
    internal static string BuildProject(string name)
    {
        string root = RepositoryRoot();
        string project = Path.Combine(root, "tests", name, $"{name}.csproj");
        string[] build = ["build", project, "-c", Configuration, "-nologo", "-v", "q", "-nodeReuse:false"];

        // Skip the restore when an earlier build (e.g. of the solution) already did it; restore if that fails.
        bool restored = File.Exists(Path.Combine(root, "tests", name, "obj", "project.assets.json"));
        var (exitCode, stdout, stderr) = restored ? Execute(DotnetHost(), [.. build, "--no-restore"], TimeSpan.FromMinutes(5), forBuild: true) : (-1, "", "");
        if (exitCode != 0)
            (exitCode, stdout, stderr) = Execute(DotnetHost(), build, TimeSpan.FromMinutes(5), forBuild: true);
        if (exitCode != 0)
            throw new InvalidOperationException($"Building {project} failed with exit code {exitCode}.\n{stdout}\n{stderr}");

        string dll = Path.Combine(root, "tests", name, "bin", Configuration, "net10.0", $"{name}.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"The {name} build did not produce {dll}.\n{stdout}", dll);
        return dll;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MLNetAdam.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No MLNetAdam.sln above {AppContext.BaseDirectory}.");
    }

    internal static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
            return host;
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
            return self;
        return "dotnet";
    }

    internal static (int ExitCode, string Stdout, string Stderr) Execute(string fileName, string[] arguments, TimeSpan timeout, bool forBuild)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        if (forBuild)
        {
            // CI reruns the Model tests with hardware intrinsics switched off; the compiler needs none of that.
            foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_Enable", StringComparison.OrdinalIgnoreCase)).ToList())
                start.Environment.Remove(name);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{fileName} {string.Join(" ", arguments)}' did not finish within {timeout}.");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
