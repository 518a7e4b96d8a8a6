using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A syntax-only pre-filter: could this body call an allocator at all? Asking for a body's operations and
    /// control-flow graph is the expensive part of the analysis, so bodies that name no candidate are skipped.
    /// Candidates over-approximate the allocation catalogue by name: its BCL and native entry points (the common words
    /// among them — <c>Load</c>, <c>Alloc</c> — only on the receivers that make them allocators), the P/Invokes declared
    /// here that can hand out a resource (a known allocator entry point, a handle type returned or passed by
    /// <c>out</c>/<c>ref</c>), the single-call wrappers of those, to the wrapper depth, handle-type creations and
    /// configured allocators. The gate stays syntactic: binding declarations here would cost more than it saves
    /// (PERFORMANCE.md, cause 3).
    /// </summary>
    internal sealed class AllocationCandidates
    {
        // Names that are allocators only on these receivers; elsewhere they are everyday words (Assembly.Load, pool.Alloc).
        private static readonly Dictionary<string, string[]> QualifiedNames = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            ["Load"] = new[] { "NativeLibrary" },
            ["TryLoad"] = new[] { "NativeLibrary" },
            ["Alloc"] = new[] { "GCHandle", "NativeMemory" },
            ["Realloc"] = new[] { "NativeMemory" },
        };

        // The catalogue's name sets, as hash sets: asked for every candidate word of every body and for every method of the
        // compilation's declarations, where an immutable set's lookup (a tree of buckets) cost a measurable share.
        private static readonly HashSet<string> AllocatorNames = new HashSet<string>(AllocationCatalogue.KnownAllocatorNames, StringComparer.Ordinal);
        private static readonly HashSet<string> ReleaseNames = new HashSet<string>(AllocationCatalogue.KnownReleaseNames, StringComparer.Ordinal);

        private static readonly string[] HandleBaseNames = { "SafeHandle", "CriticalHandle", "SafeHandleZeroOrMinusOneIsInvalid", "SafeHandleMinusOneIsInvalid", "CriticalHandleZeroOrMinusOneIsInvalid", "CriticalHandleMinusOneIsInvalid" };

        private readonly Lazy<Declared> _declared;

        public AllocationCandidates(Compilation compilation, InteropVocabulary vocabulary)
        {
            _declared = new Lazy<Declared>(() => Declared.Collect(compilation, vocabulary), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        public bool MayAllocate(SyntaxNode body, InteropScope scope) => MayAllocate(body, scope, null);

        /// <summary>
        /// The same answer, read only at <paramref name="wordPositions"/> when they are given: where the tree's text holds
        /// a candidate word (<see cref="AllocationNamePositions.In"/>). Every node the walk can read as a candidate has its
        /// deciding name (or <c>out</c>) at such a position, so looking at the nodes around those tokens gives the walk's
        /// answer without visiting the rest of the body; AllocationCandidatesTests checks that the two agree on every body
        /// of the repository's sources.
        /// </summary>
        public bool MayAllocate(SyntaxNode body, InteropScope scope, int[]? wordPositions)
        {
            var declared = _declared.Value;
            bool sawOut = false, sawRelease = false;
            if (wordPositions != null)
            {
                var span = body.FullSpan;
                for (var index = TreeTextPositions.FirstAtOrAfter(wordPositions, span.Start); index < wordPositions.Length && wordPositions[index] < span.End; index++)
                {
                    if (Candidate(body, body.FindToken(wordPositions[index])) is { } node && Reads(node, declared, scope, ref sawOut, ref sawRelease))
                    {
                        return true;
                    }
                }

                return false;
            }

            foreach (var node in body.DescendantNodes())
            {
                if (Reads(node, declared, scope, ref sawOut, ref sawRelease))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The node the walk would read as a candidate whose deciding token is <paramref name="token"/>: an <c>out</c>
        /// argument, the <c>new</c> of a type so named, a property read or a call so named; null for any other token.
        /// </summary>
        private static SyntaxNode? Candidate(SyntaxNode body, SyntaxToken token)
        {
            SyntaxNode? node = null;
            if (token.IsKind(SyntaxKind.OutKeyword))
            {
                node = token.Parent is ArgumentSyntax argument && argument.RefKindKeyword == token ? argument : null;
            }
            else if (token.IsKind(SyntaxKind.IdentifierToken) && token.Parent is SimpleNameSyntax name)
            {
                var parent = name.Parent;
                switch (parent)
                {
                    case InvocationExpressionSyntax invocation when invocation.Expression == name:
                        node = invocation;
                        break;
                    case MemberAccessExpressionSyntax access when access.Name == name:
                        node = (SyntaxNode?)CallOf(access) ?? access;
                        break;
                    case MemberBindingExpressionSyntax binding when binding.Name == name:
                        node = CallOf(binding);
                        break;
                    case ObjectCreationExpressionSyntax creation when creation.Type == name:
                        node = creation;
                        break;
                    case QualifiedNameSyntax qualified when qualified.Right == name:
                        node = CreationOf(qualified);
                        break;
                    case AliasQualifiedNameSyntax alias when alias.Name == name:
                        node = CreationOf(alias);
                        break;
                }
            }

            // Only nodes below the body, as the walk sees them.
            return node != null && node != body && body.Span.Contains(node.Span) ? node : null;
        }

        private static InvocationExpressionSyntax? CallOf(ExpressionSyntax invoked)
            => invoked.Parent is InvocationExpressionSyntax call && call.Expression == invoked ? call : null;

        private static ObjectCreationExpressionSyntax? CreationOf(TypeSyntax type)
            => type.Parent is ObjectCreationExpressionSyntax creation && creation.Type == type ? creation : null;

        /// <summary>Is <paramref name="node"/> a candidate, or the second half of one (an out argument and a release)?</summary>
        private static bool Reads(SyntaxNode node, Declared declared, InteropScope scope, ref bool sawOut, ref bool sawRelease)
        {
            // A native out value the body itself releases (ResourceSites): an out argument and a known release.
            if (node is ArgumentSyntax argument && argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword))
            {
                sawOut = true;
                if (sawRelease)
                {
                    return true;
                }
            }

            if (node is ObjectCreationExpressionSyntax creation && declared.IsHandleType(RightmostName(creation.Type)))
            {
                return true;
            }

            if (node is MemberAccessExpressionSyntax { Parent: not InvocationExpressionSyntax } access && declared.Properties.Contains(access.Name.Identifier.ValueText))
            {
                return true;
            }

            if (node is not InvocationExpressionSyntax invocation || InvokedName(invocation.Expression) is not { } name)
            {
                return false;
            }

            if (ReleaseNames.Contains(name) || scope.Options.AllocatorPairs.Any(pair => LastSegment(pair.Release) == name))
            {
                sawRelease = true;
                if (sawOut)
                {
                    return true;
                }
            }

            return (AllocatorNames.Contains(name) && OnAllocatingReceiver(name, invocation.Expression))
                   || declared.Functions.Contains(name)
                   || scope.Options.AllocatorPairs.Any(pair => LastSegment(pair.Allocator) == name);
        }

        /// <summary>
        /// Every identifier <see cref="MayAllocate"/> can read as a candidate or as half of one (an <c>out</c> argument
        /// and a release), besides the names ending in <c>Handle</c>: the words of the text prefilter
        /// (<see cref="AllocationNamePositions"/>). A trigger added to <see cref="MayAllocate"/> is added here;
        /// AllocationNamePositionsTests checks on every body of the repository's sources that the two agree.
        /// </summary>
        public IEnumerable<string> Words(InteropScope scope)
        {
            var declared = _declared.Value;
            return AllocationCatalogue.KnownAllocatorNames
                .Concat(AllocationCatalogue.KnownReleaseNames)
                .Concat(declared.Functions)
                .Concat(declared.Properties)
                .Concat(declared.HandleTypes)
                .Concat(scope.Options.AllocatorPairs.SelectMany(pair => new[] { LastSegment(pair.Allocator), LastSegment(pair.Release) }))
                .Concat(new[] { "out" });
        }

        private static bool OnAllocatingReceiver(string name, ExpressionSyntax invoked)
        {
            if (!QualifiedNames.TryGetValue(name, out var receivers))
            {
                return true;
            }

            // 'using static' imports leave no receiver to read: let those through.
            return invoked is not MemberAccessExpressionSyntax member || receivers.Contains(RightmostName(member.Expression));
        }

        private static string? RightmostName(ExpressionSyntax expression) => expression switch
        {
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
            _ => null,
        };

        /// <summary>The name a call invokes (<c>M</c>, <c>M&lt;T&gt;</c>, <c>x.M</c>, <c>x?.M</c>), read from syntax.</summary>
        internal static string? InvokedName(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            GenericNameSyntax generic => generic.Identifier.ValueText,
            MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
            MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
            _ => null,
        };

        private static string LastSegment(string name)
        {
            var dot = name.LastIndexOf('.');
            return dot < 0 ? name : name.Substring(dot + 1);
        }

        /// <summary>What the compilation's declarations contribute, read once from syntax.</summary>
        private sealed class Declared
        {
            private Declared(HashSet<string> functions, HashSet<string> handleTypes)
            {
                Functions = functions;
                HandleTypes = handleTypes;
            }

            /// <summary>Properties whose getter may return a fresh allocation (<see cref="ReturnedAllocations"/>).</summary>
            public HashSet<string> Properties { get; } = new HashSet<string>(StringComparer.Ordinal);

            /// <summary>P/Invokes that can hand out a resource, and the single-call wrappers reaching them.</summary>
            public HashSet<string> Functions { get; }

            /// <summary>Classes deriving (through classes declared here) from SafeHandle or CriticalHandle.</summary>
            public HashSet<string> HandleTypes { get; }

            /// <summary>SafeHandle types are named …Handle by convention, in the BCL and in bindings alike.</summary>
            public bool IsHandleType(string? name)
                => name != null && (name.EndsWith("Handle", StringComparison.Ordinal) || HandleTypes.Contains(name));

            public static Declared Collect(Compilation compilation, InteropVocabulary vocabulary)
            {
                var methods = new List<(MethodDeclarationSyntax Method, bool MayBeNative)>();
                var properties = new List<string>();
                var bases = new List<(string Name, string? Base)>();
                foreach (var tree in compilation.SyntaxTrees)
                {
                    // The SDK's LibraryImport stubs (GeneratedCode.IsLibraryImportStubs) declare again, as forwarders and
                    // marshalling bodies, the functions whose [LibraryImport] declarations are read here: a body calls only
                    // __PInvoke and marshaller members, and returns what its declaration returns. On OpenCvSharp the file holds
                    // 9,000 methods (8.6M characters), more than the sources, and walking it was most of this collection.
                    if (GeneratedCode.IsLibraryImportStubs(tree))
                    {
                        continue;
                    }

                    if (tree.GetRoot() is CompilationUnitSyntax unit)
                    {
                        // A P/Invoke is extern or a LibraryImport: a tree without those words declares none, and testing every
                        // method's modifiers there was the largest part of this collection on a binding.
                        CollectMembers(unit.Members, vocabulary.TreeUses(tree, InteropWords.NativeDeclaration), methods, properties, bases);
                    }
                }

                var handleTypes = new HashSet<string>(HandleBaseNames, StringComparer.Ordinal);
                for (var added = true; added;)
                {
                    added = false;
                    foreach (var (name, baseName) in bases)
                    {
                        if (baseName != null && handleTypes.Contains(baseName) && handleTypes.Add(name))
                        {
                            added = true;
                        }
                    }
                }

                var declared = new Declared(new HashSet<string>(StringComparer.Ordinal), handleTypes);
                declared.Properties.UnionWith(properties);
                var wrappers = new List<(string Name, string Calls)>();
                foreach (var (method, mayBeNative) in methods)
                {
                    if (mayBeNative && IsNativeDeclaration(method))
                    {
                        if (declared.HandsOutResource(method))
                        {
                            declared.Functions.Add(method.Identifier.ValueText);
                        }
                    }
                    else if (SingleCallName(method) is { } calls)
                    {
                        wrappers.Add((method.Identifier.ValueText, calls));
                    }
                    else if (declared.MayReturnAllocation(method) || declared.MayHandOutThroughOut(method))
                    {
                        declared.Functions.Add(method.Identifier.ValueText);
                    }
                }

                // Wrappers of wrappers, to the depth the catalogue follows them.
                for (var depth = 0; depth < WrapperSummaries.MaxDepth; depth++)
                {
                    var added = false;
                    foreach (var (name, calls) in wrappers)
                    {
                        if ((AllocatorNames.Contains(calls) || declared.Functions.Contains(calls) || AllocationCatalogue.IsAllocatorTail(calls)) && declared.Functions.Add(name))
                        {
                            added = true;
                        }
                    }

                    if (!added)
                    {
                        break;
                    }
                }

                return declared;
            }

            // Methods and classes are members of types and namespaces: nothing below a member can declare one. Read in
            // declaration order (the wrapper levels below are found in it), member lists only: a generic walk of every
            // child of every type cost more than the rest of the collection.
            private static void CollectMembers(SyntaxList<MemberDeclarationSyntax> members, bool mayBeNative, List<(MethodDeclarationSyntax Method, bool MayBeNative)> methods, List<string> properties, List<(string Name, string? Base)> bases)
            {
                foreach (var member in members)
                {
                    switch (member)
                    {
                        case MethodDeclarationSyntax method:
                            methods.Add((method, mayBeNative));
                            break;
                        // The type first: reading the accessor list of every property cost more than the type test.
                        case PropertyDeclarationSyntax property when ReturnsAddress(property.Type) && CallsAllocator(property.ExpressionBody?.Expression ?? (SyntaxNode?)GetAccessor(property)):
                            properties.Add(property.Identifier.ValueText);
                            break;
                        case ClassDeclarationSyntax type when type.BaseList != null && type.BaseList.Types.Count > 0:
                            bases.Add((type.Identifier.ValueText, RightmostName(type.BaseList.Types[0].Type)));
                            break;
                    }

                    switch (member)
                    {
                        case BaseNamespaceDeclarationSyntax space:
                            CollectMembers(space.Members, mayBeNative, methods, properties, bases);
                            break;
                        case TypeDeclarationSyntax type:
                            CollectMembers(type.Members, mayBeNative, methods, properties, bases);
                            break;
                    }
                }
            }

            private static AccessorDeclarationSyntax? GetAccessor(PropertyDeclarationSyntax property)
            {
                if (property.AccessorList == null)
                {
                    return null;
                }

                foreach (var accessor in property.AccessorList.Accessors)
                {
                    if (accessor.IsKind(SyntaxKind.GetAccessorDeclaration))
                    {
                        return accessor;
                    }
                }

                return null;
            }

            /// <summary>
            /// A method that is not a wrapper but may return a fresh allocation (<see cref="ReturnedAllocations"/>): a pointer,
            /// an IntPtr or a GCHandle from a body that calls an allocator, or a handle type from a body that may open it. Asked
            /// of every method of the compilation, so the return type is read first and the body only for those few types.
            /// </summary>
            private bool MayReturnAllocation(MethodDeclarationSyntax method)
            {
                var type = method.ReturnType;
                var address = ReturnsAddress(type);
                var handle = IsHandleType(TypeName(type));
                if (!address && !handle)
                {
                    return false;
                }

                var body = (SyntaxNode?)method.Body ?? method.ExpressionBody;
                return (address && CallsAllocator(body)) || (handle && MayOpenHandle(body));
            }

            /// <summary>A pointer, an IntPtr or a GCHandle: what a helper returning an allocation returns.</summary>
            private static bool ReturnsAddress(TypeSyntax type)
                => type is PointerTypeSyntax || RightmostName(type) is "IntPtr" or "UIntPtr" or "nint" or "nuint" or "GCHandle";

            /// <summary>Does a call below <paramref name="body"/> (the node itself not counted) name an allocator?</summary>
            private static bool CallsAllocator(SyntaxNode? body)
            {
                if (body == null)
                {
                    return false;
                }

                foreach (var node in body.DescendantNodes())
                {
                    if (node is InvocationExpressionSyntax invocation && InvokedName(invocation.Expression) is { } name
                        && (AllocatorNames.Contains(name) || AllocationCatalogue.IsAllocatorTail(name)))
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>
            /// A method with an <c>out</c> parameter of a handle type whose body hands an <c>out</c> argument on: it may fill
            /// the parameter from a native call (<see cref="AllocationCatalogue.ForOutHandle"/>).
            /// </summary>
            private bool MayHandOutThroughOut(MethodDeclarationSyntax method)
            {
                foreach (var parameter in method.ParameterList.Parameters)
                {
                    if (parameter.Type != null && parameter.Modifiers.Any(SyntaxKind.OutKeyword) && IsHandleType(TypeName(parameter.Type)))
                    {
                        var body = (SyntaxNode?)method.Body ?? method.ExpressionBody;
                        return body != null && body.DescendantNodes().Any(n => n is ArgumentSyntax argument && argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword));
                    }
                }

                return false;
            }

            /// <summary>Can a body returning a handle type open it itself: an out/ref argument or a creation?</summary>
            private static bool MayOpenHandle(SyntaxNode? body)
                => body != null
                   && body.DescendantNodes().Any(n => n is BaseObjectCreationExpressionSyntax || (n is ArgumentSyntax argument && (argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword) || argument.RefKindKeyword.IsKind(SyntaxKind.RefKeyword))));

            // Asked of every method of the compilation: one pass over the modifiers, and the attributes read only for a
            // partial method without a body.
            private static bool IsNativeDeclaration(MethodDeclarationSyntax method)
            {
                var partial = false;
                foreach (var modifier in method.Modifiers)
                {
                    switch (modifier.Kind())
                    {
                        case SyntaxKind.ExternKeyword:
                            return true;
                        case SyntaxKind.PartialKeyword:
                            partial = true;
                            break;
                    }
                }

                if (!partial || method.Body != null || method.ExpressionBody != null)
                {
                    return false;
                }

                foreach (var list in method.AttributeLists)
                {
                    foreach (var attribute in list.Attributes)
                    {
                        if (RightmostName(attribute.Name) is "LibraryImport" or "LibraryImportAttribute")
                        {
                            return true;
                        }
                    }
                }

                return false;
            }

            /// <summary>A known allocator entry point (by name or EntryPoint), or a handle type returned or passed by out/ref.</summary>
            private bool HandsOutResource(MethodDeclarationSyntax method)
            {
                if (AllocatorNames.Contains(method.Identifier.ValueText))
                {
                    return true;
                }

                // Plain loops: this runs for every P/Invoke of the compilation, and the LINQ version was most of the collection.
                foreach (var list in method.AttributeLists)
                {
                    foreach (var attribute in list.Attributes)
                    {
                        if (attribute.ArgumentList == null)
                        {
                            continue;
                        }

                        foreach (var argument in attribute.ArgumentList.Arguments)
                        {
                            if (argument.Expression is LiteralExpressionSyntax literal && literal.Token.Value is string entry && AllocatorNames.Contains(entry))
                            {
                                return true;
                            }
                        }
                    }
                }

                if (IsHandleType(TypeName(method.ReturnType)))
                {
                    return true;
                }

                foreach (var parameter in method.ParameterList.Parameters)
                {
                    if (parameter.Type != null && (parameter.Modifiers.Any(SyntaxKind.OutKeyword) || parameter.Modifiers.Any(SyntaxKind.RefKeyword)) && IsHandleType(TypeName(parameter.Type)))
                    {
                        return true;
                    }
                }

                return false;
            }

            private static string? TypeName(TypeSyntax type) => type switch
            {
                NullableTypeSyntax nullable => TypeName(nullable.ElementType),
                _ => RightmostName(type),
            };

            private static string? SingleCallName(MethodDeclarationSyntax method)
                => SingleCallShape.OnlyCall(method) is { } invocation ? InvokedName(invocation.Expression) : null;
        }
    }
}
