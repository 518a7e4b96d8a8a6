using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>Answers "is this a transition into native code?" once per method symbol.</summary>
    internal sealed class NativeFunctionTable
    {
        private readonly WellKnownTypes _types;
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<IMethodSymbol, NativeFunction?> _cache = ConcurrentTables.Create<IMethodSymbol, NativeFunction?>(SymbolEqualityComparer.Default);
        private readonly Lazy<HashSet<ITypeSymbol>> _delegatesFromFunctionPointers;
        private readonly Func<SyntaxTree, InteropOptions> _optionsOf;
        private readonly Func<IMethodSymbol, NativeFunction?> _find;

        public NativeFunctionTable(WellKnownTypes types, Compilation compilation, Func<SyntaxTree, InteropOptions> optionsOf)
        {
            _types = types;
            _compilation = compilation;
            _optionsOf = optionsOf;
            _find = Find;
            _delegatesFromFunctionPointers = new Lazy<HashSet<ITypeSymbol>>(FindDelegatesFromFunctionPointers, LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>The P/Invoke (DllImport or LibraryImport) this method is, or null.</summary>
        public NativeFunction? Get(IMethodSymbol method)
        {
            if (method.MethodKind != MethodKind.Ordinary || (!method.IsStatic && !IsRunTimeImportCandidate(method)))
            {
                return null;
            }

            // A method declared here is a P/Invoke only when it is extern (DllImport) or partial (LibraryImport, whose
            // attribute both parts see): every other source method answers at once, without adding itself to the cache.
            // Most calls of a binding are to its own methods, each called about once, and adding each of them to the
            // concurrent table (a lock, and a table that keeps growing) was most of this lookup's time.
            var key = method.OriginalDefinition;
            if (!key.IsExtern && !key.IsPartialDefinition && key.PartialDefinitionPart == null && !key.IsAbstract && IsInSource(key))
            {
                return null;
            }

            // Asked by every analyzer for nearly every call: a hit reads the cache without allocating the closure the
            // miss needs.
            return _cache.TryGetValue(key, out var function) ? function : _cache.GetOrAdd(key, _find);
        }

        private NativeFunction? Find(IMethodSymbol method) => NativeFunction.FromMethod(method, _types) ?? FromDeclaringTypeOption(method);

        /// <summary>
        /// A body-less method of a type that <c>interopguard.native_declaring_types</c> names (in the options of the file that
        /// declares the method): a loader of the project implements it at run time with the export of the method's name.
        /// Nothing in the compilation says so (rocksdb-sharp's <c>Native</c> is an abstract class that a generic importer
        /// subclasses with Reflection.Emit), so only the project can.
        /// </summary>
        private NativeFunction? FromDeclaringTypeOption(IMethodSymbol method)
        {
            if (!method.IsAbstract || method.ContainingType == null || method.Locations.Length == 0 || method.Locations[0].SourceTree is not { } tree)
            {
                return null;
            }

            foreach (var declaring in _optionsOf(tree).NativeDeclaringTypes)
            {
                if (declaring.Names(method.ContainingType))
                {
                    return new NativeFunction(method, declaring.Library, method.Name, isLibraryImport: false);
                }
            }

            return null;
        }

        /// <summary>
        /// An instance method can be a native function only as a body-less member a run-time loader implements
        /// (<see cref="NativeFunction"/>'s run-time imports), declared in this compilation: abstract members of
        /// referenced assemblies (<c>IDisposable.Dispose</c>, <c>Stream.Read</c>) answer at once, without the cache.
        /// </summary>
        private static bool IsRunTimeImportCandidate(IMethodSymbol method) => method.IsAbstract && IsInSource(method);

        private static bool IsInSource(IMethodSymbol method)
        {
            var locations = method.Locations;
            return locations.Length > 0 && locations[0].IsInSource;
        }

        /// <summary>
        /// True for a P/Invoke call, a call through <c>delegate* unmanaged</c>, and an invoke of a delegate type
        /// marked <c>[UnmanagedFunctionPointer]</c> (the types <c>Marshal.GetDelegateForFunctionPointer</c> is used with).
        /// </summary>
        public bool IsNativeTransition(IOperation operation)
        {
            switch (operation)
            {
                case IInvocationOperation invocation:
                    if (Get(invocation.TargetMethod) != null)
                    {
                        return true;
                    }

                    return invocation.TargetMethod.MethodKind == MethodKind.DelegateInvoke
                        && (IsUnmanagedDelegate(invocation.TargetMethod.ContainingType)
                            || _delegatesFromFunctionPointers.Value.Contains(invocation.TargetMethod.ContainingType.OriginalDefinition));
                case IFunctionPointerInvocationOperation pointerCall:
                    // Managed function pointers use the default convention; every unmanaged[...] one does not.
                    return pointerCall.Target.Type is IFunctionPointerTypeSymbol pointerType
                        && pointerType.Signature.CallingConvention != System.Reflection.Metadata.SignatureCallingConvention.Default;
                default:
                    return false;
            }
        }

        /// <summary>
        /// Delegate types this compilation obtains from <c>Marshal.GetDelegateForFunctionPointer</c> (generic form, or
        /// the non-generic form cast to a type): invoking one calls native code. Found once, on first use, by a
        /// syntax pre-filter on the method name so that compilations without it pay one text scan.
        /// </summary>
        private HashSet<ITypeSymbol> FindDelegatesFromFunctionPointers()
        {
            var found = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
            if (_types.Marshal == null)
            {
                return found;
            }

            foreach (var tree in _compilation.SyntaxTrees)
            {
                var root = tree.GetRoot();
                var candidates = root.DescendantNodes().OfType<InvocationExpressionSyntax>()
                    .Where(i => i.Expression.ToString().EndsWith("GetDelegateForFunctionPointer", StringComparison.Ordinal)
                                || i.Expression.ToString().Contains("GetDelegateForFunctionPointer<"))
                    .ToList();
                if (candidates.Count == 0)
                {
                    continue;
                }

#pragma warning disable RS1030 // Resolved once per compilation, only in trees that name the method.
                var model = _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
                foreach (var call in candidates)
                {
                    if (model.GetSymbolInfo(call).Symbol is not IMethodSymbol method
                        || !SymbolEqualityComparer.Default.Equals(method.ContainingType, _types.Marshal))
                    {
                        continue;
                    }

                    if (method.IsGenericMethod)
                    {
                        found.Add(method.TypeArguments[0].OriginalDefinition);
                    }
                    else if (call.Parent is CastExpressionSyntax cast && model.GetTypeInfo(cast.Type).Type is { TypeKind: TypeKind.Delegate } castType)
                    {
                        found.Add(castType.OriginalDefinition);
                    }
                    else if (call.Parent is BinaryExpressionSyntax binary && binary.IsKind(SyntaxKind.AsExpression) && model.GetTypeInfo(binary.Right).Type is { TypeKind: TypeKind.Delegate } asType)
                    {
                        found.Add(asType.OriginalDefinition);
                    }
                }
            }

            return found;
        }

        private bool IsUnmanagedDelegate(INamedTypeSymbol? type)
        {
            if (type == null || _types.UnmanagedFunctionPointerAttribute == null)
            {
                return false;
            }

            foreach (var attribute in type.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, _types.UnmanagedFunctionPointerAttribute))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
