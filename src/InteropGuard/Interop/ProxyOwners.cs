using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Handles that travel to native code inside a struct (a "proxy": <c>struct ArrayProxy { IntPtr Handle; int Kind; }</c>)
    /// held by a wrapper struct next to the object the handle belongs to (<c>ref struct InputArray { object? Source;
    /// ArrayProxy Proxy; }</c>). The wrapper's field types say nothing about ownership (the source is typed
    /// <c>object</c>); the wrapper's own creations do: when every creation that stores a source stores, in the proxy, a
    /// handle read from that very source (<c>new InputArray(mat, new ArrayProxy { Handle = mat.CvPtr })</c>), and the
    /// source releases the handle when collected, then passing <c>w.Proxy</c> to native code hands over a handle whose
    /// owner is <c>w.Source</c>. A later read of <c>w</c> counts as keeping it (of <c>w.Source</c> certainly; of another field it
    /// depends on whether the JIT tracks the struct's fields one by one, and the rule stays silent where it cannot tell).
    /// One summary per proxy field, computed once per compilation from the wrapper's declaration.
    /// </summary>
    internal sealed class ProxyOwners
    {
        private readonly HandleOwners _owners;
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<IFieldSymbol, IFieldSymbol?> _sources = ConcurrentTables.Create<IFieldSymbol, IFieldSymbol?>(SymbolEqualityComparer.Default);

        /// <summary>Conversion operators of a summarized wrapper whose every creation stores their operand itself as the source.</summary>
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _passThrough = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        // The table's factory, made once: the method group was a new delegate at every ask (every struct handle argument).
        private readonly Func<IFieldSymbol, IFieldSymbol?> _computeSource;

        public ProxyOwners(HandleOwners owners, Compilation compilation)
        {
            _owners = owners;
            _compilation = compilation;
            _computeSource = ComputeSource;
        }

        /// <summary>
        /// The cheap gate before any summary: could this value carry a proxy's handle — a field of a struct read from a
        /// variable (<c>w.Proxy</c>), or a local initialized from a member access (<c>var p = w.Proxy;</c>)? Win32 structs
        /// passed by reference (<c>ref overlapped</c>) are locals without such an initializer and stop here. Asked only of
        /// arguments whose parameter takes a struct holding a handle (<see cref="HandleOwners.IsRecord"/>), which the
        /// caller reads once per method.
        /// </summary>
        public static bool IsProxyRead(IOperation value)
            => OperationTree.SkipConversions(value) switch
            {
                IFieldReferenceOperation { Field: { IsStatic: false, ContainingType.TypeKind: TypeKind.Struct } } => true,
                ILocalReferenceOperation { Local: { IsRef: false } local } => local.DeclaringSyntaxReferences.Length == 1
                                                                              && local.DeclaringSyntaxReferences[0].GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: MemberAccessExpressionSyntax },
                _ => false,
            };

        /// <summary>
        /// The owner of the handle a proxy value carries: <c>w.Proxy</c> (or a local assigned once from it) where
        /// <c>w</c> is a local or a by-value parameter and the proxy field has a source (<see cref="SourceOf"/>). The
        /// owner is <c>w</c> with <see cref="HandleOwner.Member"/> the source field.
        /// </summary>
        public HandleOwner? Find(IOperation value, Func<ILocalSymbol, IOperation?> origin)
        {
            var read = OperationTree.SkipConversions(value);
            if (read is ILocalReferenceOperation { Local.IsRef: false } local && origin(local.Local) is { } assigned)
            {
                read = OperationTree.SkipConversions(assigned);
            }

            if (read is not IFieldReferenceOperation { Instance: { } instance } proxy || SourceOf(proxy.Field) is not { } source)
            {
                return null;
            }

            var holder = OperationTree.SkipConversions(instance);

            // 'OutputArray a = mat;' then 'a.Proxy': the converted object is the source, and the code may keep it alive
            // by its own name ('GC.KeepAlive(mat)'), or by the field or property chain it was read from.
            if (holder is ILocalReferenceOperation { Local.IsRef: false } wrapper && origin(wrapper.Local) is IConversionOperation { OperatorMethod: { } conversion } converted
                && _passThrough.TryGetValue(conversion.OriginalDefinition, out var passes) && passes
                && _owners.OwnerOf(converted.Operand, read) is { Kind: HandleOwnerKind.Variable } operandOwner)
            {
                // The conversion stored that very object in the wrapper's source field: 'GC.KeepAlive(a.Source)' reads it too.
                return new HandleOwner(operandOwner.Owner, operandOwner.Handle, operandOwner.Kind, operandOwner.Root, operandOwner.Member, wrapper.Local, source);
            }

            return holder switch
            {
                ILocalReferenceOperation { Local.IsRef: false } variable => new HandleOwner(holder, read, HandleOwnerKind.Variable, variable.Local, source),
                IParameterReferenceOperation { Parameter.RefKind: RefKind.None } parameter => new HandleOwner(holder, read, HandleOwnerKind.Variable, parameter.Parameter, source),

                // A wrapper's own 'this' is a reference to the caller's copy, and a temporary wrapper leaves nothing to keep alive.
                _ => null,
            };
        }

        /// <summary>
        /// The field of the wrapper holding the object the handle in <paramref name="proxy"/> is read from, or null when the
        /// wrapper's creations do not tie them together. Cached per field.
        /// </summary>
        public IFieldSymbol? SourceOf(IFieldSymbol proxy)
            => proxy.IsStatic || proxy.ContainingType is not { TypeKind: TypeKind.Struct } || !_owners.IsRecord(proxy.Type)
                ? null
                : _sources.GetOrAdd(proxy.OriginalDefinition, _computeSource);

        private IFieldSymbol? ComputeSource(IFieldSymbol proxy)
        {
            var wrapper = proxy.ContainingType;
            if (!SymbolEqualityComparer.Default.Equals(wrapper.ContainingAssembly, _compilation.Assembly) || wrapper.DeclaringSyntaxReferences.IsEmpty)
            {
                return null;
            }

            // Which constructor parameters become the proxy and which the candidate sources (reference-typed fields).
            var constructors = new Dictionary<IMethodSymbol, (IParameterSymbol Proxy, Dictionary<IFieldSymbol, IParameterSymbol> Sources)>(SymbolEqualityComparer.Default);
            foreach (var constructor in wrapper.InstanceConstructors)
            {
                if (constructor.IsImplicitlyDeclared)
                {
                    continue;
                }

                // Creations outside the wrapper are out of sight: only a wrapper that alone can make itself is summarized.
                if (constructor.DeclaredAccessibility != Accessibility.Private || ConstructorStores(constructor, proxy) is not { } stores)
                {
                    return null;
                }

                if (stores.Proxy != null)
                {
                    constructors[constructor] = (stores.Proxy, stores.Sources);
                }
            }

            if (constructors.Count == 0)
            {
                return null;
            }

            Dictionary<IFieldSymbol, int>? tied = null;
            var passThrough = new Dictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
            foreach (var reference in wrapper.DeclaringSyntaxReferences)
            {
                var declaration = reference.GetSyntax(CancellationToken.None);
#pragma warning disable RS1030 // The wrapper's declaration is read once per proxy field and compilation, and cached.
                var model = _compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
                foreach (var node in declaration.DescendantNodes().OfType<BaseObjectCreationExpressionSyntax>())
                {
                    if (model.GetOperation(node) is not IObjectCreationOperation { Constructor: { } constructor } creation
                        || !constructors.TryGetValue(constructor.OriginalDefinition, out var stores))
                    {
                        continue;
                    }

                    var ties = Ties(creation, stores.Proxy, stores.Sources, out var through);
                    if (ties == null)
                    {
                        return null;
                    }

                    if (model.GetEnclosingSymbol(node.SpanStart) is IMethodSymbol { MethodKind: MethodKind.Conversion, Parameters.Length: 1 } conversion)
                    {
                        var passes = through != null && SymbolEqualityComparer.Default.Equals(through.OriginalDefinition, conversion.Parameters[0].OriginalDefinition);
                        passThrough[conversion.OriginalDefinition] = passes && (!passThrough.TryGetValue(conversion.OriginalDefinition, out var before) || before);
                    }

                    if (tied == null)
                    {
                        tied = new Dictionary<IFieldSymbol, int>(SymbolEqualityComparer.Default);
                        foreach (var field in stores.Sources.Keys)
                        {
                            tied[field] = 0;
                        }
                    }
                    foreach (var field in ties)
                    {
                        if (tied.ContainsKey(field))
                        {
                            tied[field]++;
                        }
                    }
                }
            }

            // One source, unambiguous: the field every owned handle was read from.
            var sources = tied?.Where(entry => entry.Value > 0).Select(entry => entry.Key).ToList();
            if (sources is not { Count: 1 })
            {
                return null;
            }

            foreach (var entry in passThrough)
            {
                _passThrough[entry.Key] = entry.Value;
            }

            return sources[0];
        }

        /// <summary>
        /// The parameters a constructor stores into the proxy field and into reference-typed fields
        /// (<c>Source = source; Proxy = proxy;</c>); null when it stores into the proxy anything but a parameter, or calls
        /// another constructor of the wrapper.
        /// </summary>
        private (IParameterSymbol? Proxy, Dictionary<IFieldSymbol, IParameterSymbol> Sources)? ConstructorStores(IMethodSymbol constructor, IFieldSymbol proxy)
        {
            if (constructor.DeclaringSyntaxReferences.Length != 1)
            {
                return null;
            }

            var syntax = constructor.DeclaringSyntaxReferences[0].GetSyntax(CancellationToken.None);
            if (syntax is ConstructorDeclarationSyntax { Initializer: not null })
            {
                return null;
            }

#pragma warning disable RS1030 // As above: once per proxy field and compilation.
            var body = _compilation.GetSemanticModel(syntax.SyntaxTree).GetOperation(syntax);
#pragma warning restore RS1030
            if (body == null)
            {
                return null;
            }

            IParameterSymbol? stored = null;
            var sources = new Dictionary<IFieldSymbol, IParameterSymbol>(SymbolEqualityComparer.Default);
            foreach (var assignment in body.Descendants().OfType<ISimpleAssignmentOperation>())
            {
                if (assignment.Target is not IFieldReferenceOperation { Instance: IInstanceReferenceOperation } target)
                {
                    continue;
                }

                var parameter = (OperationTree.SkipConversions(assignment.Value) as IParameterReferenceOperation)?.Parameter;
                if (SymbolEqualityComparer.Default.Equals(target.Field, proxy))
                {
                    if (parameter == null || stored != null)
                    {
                        return null;
                    }

                    stored = parameter;
                }
                else if (parameter != null && target.Field.Type.IsReferenceType)
                {
                    sources[target.Field] = parameter;
                }
            }

            return (stored, sources);
        }

        /// <summary>
        /// The source fields one creation ties to the handles it stores in the proxy: an empty list when it stores no
        /// handle or no source; null when it stores a handle that is not read from the source it stores (the summary is
        /// then void).
        /// </summary>
        /// <param name="through">The parameter of the enclosing method every tied source is, or null.</param>
        private List<IFieldSymbol>? Ties(IObjectCreationOperation creation, IParameterSymbol proxyParameter, Dictionary<IFieldSymbol, IParameterSymbol> sources, out IParameterSymbol? through)
        {
            through = null;
            var proxyArgument = creation.Arguments.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.Parameter?.OriginalDefinition, proxyParameter.OriginalDefinition));
            var holders = new List<KeyValuePair<IFieldSymbol, IOperation>>();
            foreach (var entry in sources)
            {
                if (creation.Arguments.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.Parameter?.OriginalDefinition, entry.Value.OriginalDefinition))?.Value is { } value
                    && !IsNull(value))
                {
                    holders.Add(new KeyValuePair<IFieldSymbol, IOperation>(entry.Key, value));
                }
            }

            if (proxyArgument == null || holders.Count == 0)
            {
                // Nothing owned is stored ('new(null, FromScalar(s))'): such a wrapper carries no handle to keep.
                return new List<IFieldSymbol>();
            }

            if (OperationTree.SkipConversions(proxyArgument.Value) is not IObjectCreationOperation { Initializer: var initializer })
            {
                return null;
            }

            var tied = new List<IFieldSymbol>();
            foreach (var member in initializer?.Initializers.OfType<ISimpleAssignmentOperation>() ?? Enumerable.Empty<ISimpleAssignmentOperation>())
            {
                if (member.Target is not IFieldReferenceOperation { Field: var field } || !HandleOwners.IsRawHandleType(field.Type) || HandleOwners.IsZero(member.Value))
                {
                    continue;
                }

                var owner = _owners.Find(member.Value, _ => null);
                var holder = owner is { Kind: HandleOwnerKind.Variable, Root: { } root }
                    ? holders.FirstOrDefault(entry => OperationTree.SkipConversions(entry.Value) switch
                    {
                        ILocalReferenceOperation local => SymbolEqualityComparer.Default.Equals(local.Local, root),
                        IParameterReferenceOperation parameter => SymbolEqualityComparer.Default.Equals(parameter.Parameter, root),
                        _ => false,
                    }).Key
                    : null;
                if (holder == null)
                {
                    return null;
                }

                tied.Add(holder);
                var parameter = (OperationTree.SkipConversions(holders.First(entry => SymbolEqualityComparer.Default.Equals(entry.Key, holder)).Value) as IParameterReferenceOperation)?.Parameter;
                through = tied.Count == 1 ? parameter : SymbolEqualityComparer.Default.Equals(through, parameter) ? through : null;
            }

            return tied;
        }

        private static bool IsNull(IOperation value)
            => OperationTree.SkipConversions(value) is { ConstantValue: { HasValue: true, Value: null } } || OperationTree.SkipConversions(value) is IDefaultValueOperation;
    }
}
