using System;
using System.IO;

namespace InteropGuard.Tests.Meta
{
    /// <summary>The checkout the tests run from, so docs and tracking files are checked in place rather than copied.</summary>
    internal static class RepositoryRoot
    {
        private static readonly Lazy<string> Root = new Lazy<string>(Find);

        internal static string Path => Root.Value;

        internal static string Combine(params string[] parts) => System.IO.Path.Combine(Path, System.IO.Path.Combine(parts));

        private static string Find()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "InteropGuard.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"No folder above '{AppContext.BaseDirectory}' contains InteropGuard.sln.");
        }
    }
}
