using System;
using System.IO;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>A P/Invoke declaration: the method, the library it binds to and the native entry point.</summary>
    internal sealed class NativeFunction
    {
        public NativeFunction(IMethodSymbol method, string library, string entryPoint, bool isLibraryImport)
        {
            Method = method;
            Library = library;
            EntryPoint = entryPoint;
            IsLibraryImport = isLibraryImport;
        }

        public IMethodSymbol Method { get; }
        public string Library { get; }
        public string EntryPoint { get; }
        public bool IsLibraryImport { get; }

        /// <summary>Lower-case file name without directory, <c>lib</c> prefix and <c>.so</c>/<c>.dll</c>/<c>.dylib</c> suffixes.</summary>
        /// <remarks>
        /// Read on first use: the native table makes one of these for every P/Invoke a body calls, and most are never asked
        /// for their library (only the catalogue's library lists are). Two threads may both compute it; they get equal strings.
        /// </remarks>
        public string NormalizedLibrary => _normalizedLibrary ??= NormalizeLibrary(Library);

        private string? _normalizedLibrary;

        public static NativeFunction? FromMethod(IMethodSymbol method, WellKnownTypes types)
        {
            method = method.OriginalDefinition;
            var dllImport = method.GetDllImportData();
            if (dllImport != null)
            {
                return new NativeFunction(method, dllImport.ModuleName ?? string.Empty, dllImport.EntryPointName ?? method.Name, isLibraryImport: false);
            }

            if (types.LibraryImportAttribute == null)
            {
                return null;
            }

            foreach (var attribute in method.GetAttributes())
            {
                if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, types.LibraryImportAttribute))
                {
                    continue;
                }

                var library = attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value as string : null;
                var entryPoint = method.Name;
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "EntryPoint" && named.Value.Value is string e)
                    {
                        entryPoint = e;
                    }
                }

                return new NativeFunction(method, library ?? string.Empty, entryPoint, isLibraryImport: true);
            }

            return FromRunTimeImport(method);
        }

        /// <summary>
        /// A method without a body that an attribute declares a DllImport for a loader to implement at run time:
        /// InteropDotNet's <c>[RuntimeDllImport("lept", EntryPoint = "pixDestroy")]</c> on an interface member. The loader
        /// emits, for each such member, a delegate type marked <c>[UnmanagedFunctionPointer]</c> bound to the export it looks
        /// up by that entry point, and an implementation that invokes it: a call of the member is a call of the export, with
        /// the export's ownership and lifetime contracts. Read by the attribute's shape — its type's name ends in
        /// <c>DllImportAttribute</c>, its first argument is the library — so any loader declaring its imports that way counts.
        /// </summary>
        private static NativeFunction? FromRunTimeImport(IMethodSymbol method)
        {
            if (!method.IsAbstract)
            {
                return null;
            }

            foreach (var attribute in method.GetAttributes())
            {
                if (!IsRunTimeImport(attribute))
                {
                    continue;
                }

                var entryPoint = method.Name;
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "EntryPoint" && named.Value.Value is string e && e.Length > 0)
                    {
                        entryPoint = e;
                    }
                }

                return new NativeFunction(method, (string)attribute.ConstructorArguments[0].Value!, entryPoint, isLibraryImport: false);
            }

            return null;
        }

        /// <summary>A run-time loader's import attribute (see <see cref="FromRunTimeImport"/>), not the runtime's own DllImport.</summary>
        internal static bool IsRunTimeImport(AttributeData attribute)
            => attribute.AttributeClass is { } type
               && type.Name.EndsWith("DllImportAttribute", StringComparison.Ordinal) && type.Name.Length > "DllImportAttribute".Length
               && attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is string;

        /// <summary>
        /// Is <paramref name="normalized"/> (see <see cref="NormalizeLibrary"/>) the library <paramref name="stem"/> or a
        /// build of it: the stem followed by a build or version suffix after '-', '_' or '.' (<c>git2-a418d9d</c>,
        /// <c>libcrypto-3-x64</c>), and with <paramref name="digitVersions"/> also directly by a digit (<c>lua54</c>,
        /// <c>png16</c>) — for lists whose stems never end where another library's name continues with one.
        /// </summary>
        internal static bool IsBuildOf(string normalized, string stem, bool digitVersions = false)
        {
            if (!normalized.StartsWith(stem, StringComparison.Ordinal))
            {
                return false;
            }

            if (normalized.Length == stem.Length)
            {
                return true;
            }

            var next = normalized[stem.Length];
            return next == '-' || next == '_' || next == '.' || (digitVersions && char.IsDigit(next));
        }

        internal static string NormalizeLibrary(string library)
        {
            var name = library.Replace('\\', '/');
            var slash = name.LastIndexOf('/');
            if (slash >= 0)
            {
                name = name.Substring(slash + 1);
            }

            name = name.ToLowerInvariant();
            var so = name.IndexOf(".so", StringComparison.Ordinal);
            if (so > 0)
            {
                name = name.Substring(0, so);
            }

            foreach (var suffix in new[] { ".dll", ".dylib" })
            {
                if (name.EndsWith(suffix, StringComparison.Ordinal))
                {
                    name = name.Substring(0, name.Length - suffix.Length);
                }
            }

            if (name.StartsWith("lib", StringComparison.Ordinal) && name.Length > 3)
            {
                name = name.Substring(3);
            }

            return name;
        }

        /// <summary>
        /// The library a distribution-specific build names after its distribution (<c>alpine-librdkafka</c> →
        /// <c>rdkafka</c>, shipped side by side with <c>librdkafka</c>), from a normalized name; the name itself otherwise.
        /// </summary>
        internal static string WithoutDistribution(string normalized)
        {
            var build = normalized.IndexOf("-lib", StringComparison.Ordinal);
            return build > 0 ? normalized.Substring(build + "-lib".Length) : normalized;
        }

        /// <summary>'Type.Method', as messages name the function; made once (IG1001 names the same P/Invokes in hundreds of findings).</summary>
        public override string ToString() => _display ??= Method.ContainingType?.Name + "." + Method.Name;

        private string? _display;
    }
}
