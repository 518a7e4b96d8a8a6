using System;
using System.IO;

namespace InteropGuard.Cli
{
    /// <summary>Paths as the summary shows them: relative to the audited target's folder when inside it.</summary>
    internal static class Paths
    {
        public static string Display(string baseDirectory, string path)
        {
            var relative = Path.GetRelativePath(baseDirectory, path);
            return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
                ? path
                : relative.Replace('\\', '/');
        }
    }
}
