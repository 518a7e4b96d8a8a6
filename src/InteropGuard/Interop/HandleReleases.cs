using System.Linq;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// What a SafeHandle type does when it is released. A marshalling-only wrapper — its <c>ReleaseHandle</c> is
    /// <c>=&gt; true</c> or <c>{ return true; }</c>, a constant and no call — releases nothing: the native object it wraps is
    /// owned elsewhere, so disposing the wrapper cannot invalidate the value, and reference counting protects nothing.
    /// Answered once per type. Types whose <c>ReleaseHandle</c> comes from a referenced assembly, and types this
    /// compilation derives from (a subclass may release), are assumed to release.
    /// </summary>
    internal sealed class HandleReleases
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<INamedTypeSymbol, bool> _releasesNothing = ConcurrentTables.Create<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);
        private readonly System.Lazy<HashSet<INamedTypeSymbol>> _baseTypesOfSourceTypes;

        public HandleReleases(InteropContext context)
        {
            _context = context;
            _baseTypesOfSourceTypes = new System.Lazy<HashSet<INamedTypeSymbol>>(CollectBaseTypes, LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>Is <paramref name="type"/> a SafeHandle whose release (for any object of that static type) does nothing?</summary>
        public bool ReleasesNothing(ITypeSymbol? type)
        {
            if (type is not INamedTypeSymbol named || _context.Types.SafeHandle == null || type.TypeKind != TypeKind.Class)
            {
                return false;
            }

            return _releasesNothing.GetOrAdd(named.OriginalDefinition, Compute);
        }

        private bool Compute(INamedTypeSymbol type)
        {
            var release = ReleaseHandleOf(type);
            if (release == null || !SymbolEqualityComparer.Default.Equals(release.ContainingAssembly, _context.Compilation.Assembly))
            {
                return false;
            }

            if (!type.IsSealed && _baseTypesOfSourceTypes.Value.Contains(type))
            {
                return false;
            }

            return IsConstantReturn(_context.Wrappers.GetBody(release));
        }

        /// <summary>
        /// The <c>ownsHandle</c> arguments of a SafeHandle type of this compilation that declares a <c>ReleaseHandle</c>
        /// doing work while every constructor that calls a base constructor passes <c>ownsHandle: false</c> (a constant):
        /// the runtime never calls <c>ReleaseHandle</c> for a handle it does not own, so that work never runs. Empty
        /// otherwise (an owning constructor, a non-constant argument, no base call to read).
        /// </summary>
        public ImmutableArray<IArgumentOperation> DisowningArguments(INamedTypeSymbol type)
        {
            if (_context.Types.SafeHandle == null || type.TypeKind != TypeKind.Class
                || !SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _context.Compilation.Assembly))
            {
                return ImmutableArray<IArgumentOperation>.Empty;
            }

            // Asked of every class of the compilation: the base chain (is it a SafeHandle declaring its own ReleaseHandle?)
            // before the constructors' syntax, whose first reading of every class was a quarter of the ownership analysis
            // on OpenCvSharp, where few classes are handles.
            if (!BaseTypes.InheritsFrom(type, _context.Types.SafeHandle))
            {
                return ImmutableArray<IArgumentOperation>.Empty;
            }

            var release = ReleaseHandleOf(type);
            if (release == null || !SymbolEqualityComparer.Default.Equals(release.ContainingType, type) || !ChainsWithFalse(type)
                || _context.Wrappers.GetBody(release) is not { } releaseBody || IsConstantReturn(releaseBody))
            {
                return ImmutableArray<IArgumentOperation>.Empty;
            }

            var found = ImmutableArray.CreateBuilder<IArgumentOperation>();
            foreach (var constructor in type.InstanceConstructors)
            {
                if (constructor.IsImplicitlyDeclared)
                {
                    return ImmutableArray<IArgumentOperation>.Empty;
                }

                if (ChainedCall(constructor) is not { } call)
                {
                    return ImmutableArray<IArgumentOperation>.Empty;
                }

                // this(...) defers to another constructor of the type, which is checked on its own.
                if (SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, type))
                {
                    continue;
                }

                IArgumentOperation? owns = null;
                foreach (var argument in call.Arguments)
                {
                    if (argument.Parameter?.Name == "ownsHandle" && argument.ArgumentKind == ArgumentKind.Explicit
                        && argument.Value.ConstantValue is { HasValue: true, Value: false })
                    {
                        owns = argument;
                    }
                }

                if (owns == null)
                {
                    return ImmutableArray<IArgumentOperation>.Empty;
                }

                found.Add(owns);
            }

            return found.ToImmutable();
        }

        /// <summary>
        /// Does the marshaller make objects of <paramref name="type"/> that do not own their handle? It creates a SafeHandle
        /// it hands out (a return value, an <c>out</c> argument) with the parameterless constructor; when that constructor
        /// passes a constant <c>false</c> as <c>ownsHandle</c> to <c>SafeHandle</c>'s constructor — directly or through
        /// <c>: this(false)</c>/<c>: base(false)</c> chains that forward it (dotnet/iot's
        /// <c>LineInfoSafeHandleNotFreeable() : base(false)</c>, whose base passes <c>ownsHandle</c> on) — disposing such an
        /// object releases nothing, so it is not a resource to dispose. Types of this compilation only, at most six
        /// constructors deep.
        /// </summary>
        public bool MarshalledDisowned(ITypeSymbol? type)
            => type is INamedTypeSymbol named && named.TypeKind == TypeKind.Class && _context.Types.SafeHandle != null
               && SymbolEqualityComparer.Default.Equals(named.ContainingAssembly, _context.Compilation.Assembly)
               && _marshalledDisowned.GetOrAdd(named.OriginalDefinition, ComputeMarshalledDisowned);

        private readonly ConcurrentDictionary<INamedTypeSymbol, bool> _marshalledDisowned = ConcurrentTables.Create<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);

        private bool ComputeMarshalledDisowned(INamedTypeSymbol type)
            => ChainsWithFalse(type) && Disowns(type.InstanceConstructors.FirstOrDefault(c => c.Parameters.IsEmpty && !c.IsImplicitlyDeclared));

        /// <summary>
        /// Does <paramref name="constructor"/>, a SafeHandle constructor of this compilation, pass a constant <c>false</c> as
        /// <c>ownsHandle</c> down its chain (DuckDB.NET's <c>DuckDBDataChunk(IntPtr chunk) : base(false)</c>, a view over a
        /// chunk native code owns)? An object it makes releases nothing when disposed. Types of this compilation only, at
        /// most six constructors deep.
        /// </summary>
        public bool ConstructorDisowns(IMethodSymbol? constructor)
            => constructor is { MethodKind: MethodKind.Constructor, ContainingType: { TypeKind: TypeKind.Class } type } && _context.Types.SafeHandle != null
               && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _context.Compilation.Assembly)
               && _constructorDisowns.GetOrAdd(constructor.OriginalDefinition, c => ChainsWithFalse(c.ContainingType) && Disowns(c));

        private readonly ConcurrentDictionary<IMethodSymbol, bool> _constructorDisowns = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        /// <summary>
        /// Is <paramref name="creation"/> of a SafeHandle type of this compilation given a constant <c>false</c> that its
        /// constructor forwards down the chain as <c>SafeHandle</c>'s <c>ownsHandle</c>, whatever the parameters on the
        /// way are called (NtCoreLib's <c>new SafeHGlobalBuffer(ptr + offset, length, false)</c>, whose <c>owns_handle</c>
        /// reaches <c>SafeBuffer(bool ownsHandle)</c>)? The object is a view: disposing it releases nothing.
        /// </summary>
        public bool CreationDisowns(IObjectCreationOperation creation)
        {
            if (creation.Constructor is not { ContainingType: { TypeKind: TypeKind.Class } type } constructor || _context.Types.SafeHandle == null
                || !SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _context.Compilation.Assembly))
            {
                return false;
            }

            Dictionary<IParameterSymbol, bool>? given = null;
            foreach (var argument in creation.Arguments)
            {
                if (argument.Parameter is { Type.SpecialType: SpecialType.System_Boolean } parameter
                    && OperationTree.SkipConversions(argument.Value).ConstantValue is { HasValue: true, Value: false })
                {
                    (given ??= new Dictionary<IParameterSymbol, bool>(SymbolEqualityComparer.Default))[parameter.OriginalDefinition] = false;
                }
            }

            return given != null && Disowns(constructor.OriginalDefinition, given);
        }

        // NtCoreLib's token buffers pass the flag through six constructors of the compilation before SafeHandle's.
        private const int MaxChainDepth = 6;

        private bool Disowns(IMethodSymbol? constructor) => Disowns(constructor, new Dictionary<IParameterSymbol, bool>(SymbolEqualityComparer.Default));

        private bool Disowns(IMethodSymbol? constructor, Dictionary<IParameterSymbol, bool> incoming)
        {
            for (var depth = 0; constructor != null && depth < MaxChainDepth; depth++)
            {
                if (ChainedCall(constructor) is not { } call)
                {
                    return false;
                }

                // The constant each argument carries: a literal, or a parameter of this constructor that received one.
                var next = new Dictionary<IParameterSymbol, bool>(SymbolEqualityComparer.Default);
                foreach (var argument in call.Arguments)
                {
                    if (argument.Parameter == null)
                    {
                        continue;
                    }

                    var value = OperationTree.SkipConversions(argument.Value);
                    // Keyed by the definitions: a generic base's constructor is reached as a constructed symbol, and its
                    // body names the parameters of its definition.
                    if (value.ConstantValue is { HasValue: true, Value: bool constant })
                    {
                        next[argument.Parameter.OriginalDefinition] = constant;
                    }
                    else if (value is IParameterReferenceOperation forwarded && incoming.TryGetValue(forwarded.Parameter.OriginalDefinition, out var carried))
                    {
                        next[argument.Parameter.OriginalDefinition] = carried;
                    }
                }

                var target = call.TargetMethod;
                if (!SymbolEqualityComparer.Default.Equals(target.ContainingAssembly, _context.Compilation.Assembly))
                {
                    // A framework handle's constructor: SafeHandle(IntPtr, bool ownsHandle) or one of its subclasses' (bool ownsHandle).
                    return next.Any(p => p.Key.Name == "ownsHandle" && p.Key.Type.SpecialType == SpecialType.System_Boolean && !p.Value);
                }

                constructor = target.OriginalDefinition;
                incoming = next;
            }

            return false;
        }

        // Syntax first: some constructor chains with a literal 'false' argument; binding bodies is the expensive part.
        private static bool ChainsWithFalse(INamedTypeSymbol type)
            => type.InstanceConstructors.SelectMany(c => c.DeclaringSyntaxReferences)
                .Any(r => r.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.ConstructorDeclarationSyntax { Initializer: { } chained }
                          && chained.ArgumentList.Arguments.Any(a => a.Expression.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.FalseLiteralExpression)));

        // The ': base(...)' or ': this(...)' call of a constructor of this compilation, or null.
        private IInvocationOperation? ChainedCall(IMethodSymbol constructor)
            => _context.Wrappers.GetBody(constructor) is IConstructorBodyOperation { Initializer: { } initializer }
               && OperationTree.SkipConversions(initializer is IExpressionStatementOperation statement ? statement.Operation : initializer) is IInvocationOperation call
                ? call
                : null;

        // The ReleaseHandle an object of this type runs: the nearest override, if the type is a SafeHandle at all.
        private IMethodSymbol? ReleaseHandleOf(INamedTypeSymbol type)
        {
            IMethodSymbol? found = null;
            for (var current = type; current != null; current = current.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(current, _context.Types.SafeHandle))
                {
                    return found;
                }

                if (found == null)
                {
                    foreach (var member in current.GetMembers("ReleaseHandle"))
                    {
                        if (member is IMethodSymbol { IsOverride: true, Parameters.Length: 0 } method)
                        {
                            found = method;
                            break;
                        }
                    }
                }
            }

            return null;
        }

        // => true; or { return true; }: a single return of a constant, nothing called, nothing written.
        private static bool IsConstantReturn(IOperation? body)
        {
            var current = body;
            while (true)
            {
                switch (current)
                {
                    case IMethodBodyOperation method:
                        current = method.BlockBody ?? method.ExpressionBody;
                        continue;
                    case IBlockOperation { Operations.Length: 1 } block:
                        current = block.Operations[0];
                        continue;
                    case IReturnOperation { ReturnedValue: { } value }:
                        return value.ConstantValue.HasValue;
                    default:
                        return false;
                }
            }
        }

        private HashSet<INamedTypeSymbol> CollectBaseTypes()
        {
            var bases = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
            foreach (var named in DeclaredTypes.Of(_context.Compilation))
            {
                if (named.BaseType is { } baseType)
                {
                    bases.Add(baseType.OriginalDefinition);
                }
            }

            return bases;
        }
    }
}
