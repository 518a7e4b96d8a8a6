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
    /// <summary>
    /// Owners that root themselves for as long as their native handle is open (DotNetty's libuv handles): every
    /// constructor that produces an object of the class allocates a strong GCHandle of <c>this</c>
    /// (<c>GCHandle.Alloc(this)</c>, Normal or Pinned, never Weak) and stores it where it is kept (a field, the native
    /// struct's user data, a native call), and every <c>Free</c> that can free that GCHandle sits next to the release of the
    /// native memory it was read from (<c>GCHandle.FromIntPtr(((uv_handle_t*)handle)->data).Free(); FreeMemory(handle);</c>),
    /// or, for a root kept in a field of the object, next to a catalogued release or to the release of the object's own
    /// handle that its acquire pairs with (CurlSharp's <c>curl_easy_cleanup(_pCurl); _hThis.Free();</c>). A GCHandle read
    /// back with <c>FromIntPtr</c> cannot be the root when the root never became an IntPtr (<c>RootNeverAPointer</c>).
    /// The GCHandle is a root: the owner cannot be collected, nor its finalizer run, during a call on the open handle, so
    /// IG1001 has nothing to report for it.
    /// <para>
    /// Unsure is no: a Weak handle, a GCHandle of another object, an Alloc on one constructor path only, a Free that no
    /// release of the native memory accompanies (right after the Alloc, in a method callable while the handle is open, in
    /// a <c>Dispose</c> that only closes the handle asynchronously), a GCHandle handed to other code. The Frees read are
    /// those of the class, its bases and the classes derived from it in the compilation (the code that can reach the
    /// GCHandle back from the native struct); a Free elsewhere in the compilation is not looked for.
    /// </para>
    /// Asked only for an IG1001 finding about to be reported, once per owner class and compilation: most classes answer
    /// no from their constructors' tokens (no <c>Alloc</c>).
    /// </summary>
    internal sealed class HandleOwnersRootedByGCHandle
    {
        // How many constructors deep a ': this(...)' / ': base(...)' chain is followed.
        private const int MaxChain = 8;

        private readonly InteropContext _interop;
        private readonly Lazy<INamedTypeSymbol[]> _sourceTypes;
        private readonly ConcurrentDictionary<INamedTypeSymbol, bool> _rooted = ConcurrentTables.Create<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<InteropScope, HandleFunctionPairs> _pairs = ConcurrentTables.Create<InteropScope, HandleFunctionPairs>();

        public HandleOwnersRootedByGCHandle(InteropContext interop, Lazy<INamedTypeSymbol[]> sourceTypes)
        {
            _interop = interop;
            _sourceTypes = sourceTypes;
        }

        /// <summary>Is the owner an object of a class that roots itself with its own GCHandle while its handle is open?</summary>
        public bool Roots(HandleOwner owner, CancellationToken cancellationToken)
        {
            // A proxy's owner is a field of a struct: the reading is of classes.
            if (owner.Member != null || owner.Owner.Type is not INamedTypeSymbol { TypeKind: TypeKind.Class } type)
            {
                return false;
            }

            type = type.OriginalDefinition;
            return _rooted.TryGetValue(type, out var known) ? known : _rooted.GetOrAdd(type, t => Compute(t, cancellationToken));
        }

        private bool Compute(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            if (_interop.Types.GCHandle is not { } gcHandle || !InSource(type))
            {
                return false;
            }

            var reading = new Reading(this, gcHandle, cancellationToken);

            // The objects the owner can be: the class's own, or for an abstract class no other assembly can derive from,
            // those of its concrete classes in the compilation. Most owner classes answer no from their constructors'
            // tokens, before the list of the compilation's types (a copy of every namespace's and type's members) is
            // asked for; an abstract class is asked about its subclasses only when its own code names GCHandle.
            var rootsItself = reading.EveryConstructorRoots(type);
            if (!rootsItself && (!type.IsAbstract || !OnlyDerivedHere(type) || !type.DeclaringSyntaxReferences.Any(r => Names(r.GetSyntax(cancellationToken), "GCHandle"))))
            {
                return false;
            }

            var derived = _sourceTypes.Value.Where(source => source.TypeKind == TypeKind.Class && BaseTypes.InheritsFrom(source, type)).ToList();
            if (!rootsItself)
            {
                var concrete = derived.Where(d => !d.IsAbstract).ToList();
                if (concrete.Count == 0 || !concrete.All(reading.EveryConstructorRoots))
                {
                    return false;
                }
            }

            // The code that can free the GCHandle: the class, its bases in the compilation and the classes derived from it.
            var family = new List<INamedTypeSymbol>();
            for (var current = type; current != null && InSource(current); current = current.BaseType?.OriginalDefinition)
            {
                family.Add(current);
            }

            family.AddRange(derived.Select(d => d.OriginalDefinition));
            return family.Distinct(SymbolEqualityComparer.Default).Cast<INamedTypeSymbol>().All(reading.FreesOnlyWithRelease);
        }

        private bool InSource(INamedTypeSymbol type)
            => !type.DeclaringSyntaxReferences.IsEmpty && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _interop.Compilation.Assembly);

        /// <summary>No class outside the compilation can derive from <paramref name="type"/>: it or its constructors are not visible outside.</summary>
        private static bool OnlyDerivedHere(INamedTypeSymbol type)
        {
            for (var current = (ISymbol)type; current is INamedTypeSymbol named; current = named.ContainingType)
            {
                if (current.DeclaredAccessibility is Accessibility.Private or Accessibility.Internal or Accessibility.ProtectedAndInternal)
                {
                    return true;
                }
            }

            return type.InstanceConstructors.All(c => c.DeclaredAccessibility is Accessibility.Private or Accessibility.Internal or Accessibility.ProtectedAndInternal);
        }

        /// <summary>The acquire/release pairs of the P/Invokes, as IG3007 reads them, for the options of <paramref name="tree"/>.</summary>
        private HandleFunctionPairs PairsFor(SyntaxTree tree) => _pairs.GetOrAdd(_interop.ForTree(tree), scope => new HandleFunctionPairs(_interop, scope));

        /// <summary>A constructor's or method's bound body, from the compilation's shared body cache (bound once for every reading).</summary>
        private IOperation? BodyOf(IMethodSymbol method) => _interop.Wrappers.GetBody(method);

        private IOperation? Bind(SyntaxNode node, CancellationToken cancellationToken)
        {
#pragma warning disable RS1030 // Once per constructor or member of a class whose IG1001 finding is about to be reported, cached per class.
            return _interop.Compilation.GetSemanticModel(node.SyntaxTree).GetOperation(node, cancellationToken);
#pragma warning restore RS1030
        }

        private static bool Names(SyntaxNode node, string name)
        {
            foreach (var token in node.DescendantTokens())
            {
                if (token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText == name)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The questions asked of one owner class, with what the constructors' GCHandles were found stored in.</summary>
        private sealed class Reading
        {
            private readonly HandleOwnersRootedByGCHandle _owner;
            private readonly INamedTypeSymbol _gcHandle;
            private readonly CancellationToken _cancellationToken;
            private readonly Dictionary<IMethodSymbol, bool> _constructors = new Dictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

            // The fields the GCHandle of 'this' is stored in: a Free of one of them frees it.
            private readonly HashSet<IFieldSymbol> _ownFields = new HashSet<IFieldSymbol>(SymbolEqualityComparer.Default);

            // A constructor turned the GCHandle of 'this' into an IntPtr (ToIntPtr, a cast): FromIntPtr may give it back.
            private bool _rootAsPointer;
            private bool? _rootNeverAPointer;

            // The raw-handle fields of the family read so far, with the release functions of the acquires that fill them.
            private readonly Dictionary<IFieldSymbol, HashSet<IMethodSymbol>> _pairedReleases = new Dictionary<IFieldSymbol, HashSet<IMethodSymbol>>(SymbolEqualityComparer.Default);

            public Reading(HandleOwnersRootedByGCHandle owner, INamedTypeSymbol gcHandle, CancellationToken cancellationToken)
            {
                _owner = owner;
                _gcHandle = gcHandle;
                _cancellationToken = cancellationToken;
            }

            /// <summary>Does every instance constructor of <paramref name="type"/> root the object on every path that completes?</summary>
            public bool EveryConstructorRoots(INamedTypeSymbol type)
                => type.InstanceConstructors.Length > 0 && ChainMayRoot(type) && type.InstanceConstructors.All(c => ConstructorRoots(c, 0));

            /// <summary>
            /// Can a constructor of the class or of a base in the compilation root the object at all: does one name <c>Alloc</c>,
            /// or a private method of its class that does? Answered from tokens, before any constructor is bound (binding
            /// each constructor's <c>: base(...)</c> to follow the chain cost a binding's constructors more than the
            /// rest of the reading).
            /// </summary>
            private bool ChainMayRoot(INamedTypeSymbol type)
            {
                for (var current = type; current != null && _owner.InSource(current); current = current.BaseType?.OriginalDefinition)
                {
                    foreach (var constructor in current.InstanceConstructors)
                    {
                        foreach (var reference in constructor.DeclaringSyntaxReferences)
                        {
                            if (reference.GetSyntax(_cancellationToken) is ConstructorDeclarationSyntax declaration && MayRoot(declaration, current))
                            {
                                return true;
                            }
                        }
                    }
                }

                return false;
            }

            private bool ConstructorRoots(IMethodSymbol constructor, int depth)
            {
                constructor = constructor.OriginalDefinition;
                if (depth > MaxChain || !_owner.InSource(constructor.ContainingType))
                {
                    return false;
                }

                if (_constructors.TryGetValue(constructor, out var known))
                {
                    return known;
                }

                _constructors[constructor] = false;
                var roots = ComputeConstructorRoots(constructor, depth);
                _constructors[constructor] = roots;
                return roots;
            }

            private bool ComputeConstructorRoots(IMethodSymbol constructor, int depth)
            {
                if (constructor.IsImplicitlyDeclared || constructor.DeclaringSyntaxReferences.Length != 1)
                {
                    // 'class C : B { }': the implicit constructor runs the base's parameterless one.
                    return constructor.IsImplicitlyDeclared && ParameterlessBase(constructor) is { } implicitBase && ConstructorRoots(implicitBase, depth + 1);
                }

                var syntax = constructor.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken);
                if (syntax is not ConstructorDeclarationSyntax declaration)
                {
                    return false;
                }

                if (MayRoot(declaration, constructor.ContainingType) && _owner.BodyOf(constructor) is IConstructorBodyOperation { BlockBody: { } block } && RootsInBlock(block))
                {
                    return true;
                }

                // A chained constructor runs before the body: ': this(...)', ': base(...)', or the base's parameterless one.
                // The initializer is read from the shared bound body (the driver's tree), bound on its own only without one.
                var chained = declaration.Initializer != null
                    ? ((_owner.BodyOf(constructor) as IConstructorBodyOperation)?.Initializer ?? _owner.Bind(declaration.Initializer, _cancellationToken)) switch
                    {
                        IInvocationOperation call => call.TargetMethod,
                        IExpressionStatementOperation { Operation: IInvocationOperation call } => call.TargetMethod,
                        _ => null,
                    }
                    : ParameterlessBase(constructor);
                return chained != null && ConstructorRoots(chained, depth + 1);
            }

            /// <summary>
            /// Does the constructor name <c>Alloc</c>, or call as a statement (<c>Attach();</c>, <c>this.Attach();</c>) a
            /// private method of its class that does (<see cref="RootsInBlock"/>)? The class's members are looked up by
            /// those names, never listed.
            /// </summary>
            private bool MayRoot(ConstructorDeclarationSyntax declaration, INamedTypeSymbol type)
            {
                if (Names(declaration, "Alloc"))
                {
                    return true;
                }

                foreach (var statement in declaration.Body?.Statements ?? default)
                {
                    var name = statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { Expression: var called } }
                        ? called switch
                        {
                            IdentifierNameSyntax simple => simple.Identifier.ValueText,
                            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax member } => member.Identifier.ValueText,
                            _ => null,
                        }
                        : null;
                    if (name == null)
                    {
                        continue;
                    }

                    foreach (var member in type.GetMembers(name))
                    {
                        if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary, DeclaredAccessibility: Accessibility.Private, IsStatic: false } method
                            && method.DeclaringSyntaxReferences.Length == 1 && Names(method.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken), "Alloc"))
                        {
                            return true;
                        }
                    }
                }

                return false;
            }

            private static IMethodSymbol? ParameterlessBase(IMethodSymbol constructor)
                => constructor.ContainingType.BaseType?.InstanceConstructors.FirstOrDefault(c => c.Parameters.IsEmpty);

            /// <summary>
            /// A statement of the constructor's body, reached on every path that completes (no return or goto before it),
            /// that allocates a strong GCHandle of <c>this</c> and stores it.
            /// </summary>
            private bool RootsInBlock(IBlockOperation block, bool inConstructor = true)
            {
                foreach (var statement in block.Operations)
                {
                    if (statement is IVariableDeclarationGroupOperation or IExpressionStatementOperation
                        && FirstRootingAlloc(statement) is { } alloc && RootIsStored(alloc))
                    {
                        return true;
                    }

                    // 'Init();': a private method of the class the constructor calls on every path, which roots as a body would.
                    if (inConstructor && statement is IExpressionStatementOperation { Operation: IInvocationOperation { Instance: IInstanceReferenceOperation, TargetMethod: var target } }
                        && target.MethodKind == MethodKind.Ordinary && target.DeclaredAccessibility == Accessibility.Private && !target.IsStatic
                        && target.DeclaringSyntaxReferences.Length == 1 && target.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken) is MethodDeclarationSyntax { Body: { } } method
                        && Names(method, "Alloc") && _owner.BodyOf(target) is IMethodBodyOperation { BlockBody: { } body } && RootsInBlock(body, inConstructor: false))
                    {
                        return true;
                    }

                    if (OperationTree.Any(statement, o => o.Kind == OperationKind.Return || o is IBranchOperation { BranchKind: BranchKind.GoTo }))
                    {
                        return false;
                    }
                }

                return false;
            }

            private IInvocationOperation? FirstRootingAlloc(IOperation statement)
            {
                foreach (var operation in statement.DescendantsAndSelf())
                {
                    if (operation is IInvocationOperation call && IsRootingAlloc(call) && !OperationTree.IsInNestedFunction(call, statement))
                    {
                        return call;
                    }
                }

                return null;
            }

            /// <summary><c>GCHandle.Alloc(this)</c>, or with <c>GCHandleType.Normal</c> or <c>Pinned</c>: a strong root of the object.</summary>
            private bool IsRootingAlloc(IInvocationOperation call)
                => IsGCHandleMethod(call, "Alloc") && call.Arguments.Length >= 1
                   && OperationTree.SkipConversions(call.Arguments[0].Value) is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                   && (call.Arguments.Length == 1 || call.Arguments[1].Value.ConstantValue is { HasValue: true, Value: int kind } && kind is 2 or 3);

            private bool IsGCHandleMethod(IInvocationOperation call, string name)
                => call.TargetMethod.Name == name && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, _gcHandle);

            /// <summary>
            /// The GCHandle goes where it is kept — a field of this object, or as an IntPtr into native memory or a call —
            /// and nowhere else: a GCHandle handed to other code may be freed there.
            /// </summary>
            private bool RootIsStored(IInvocationOperation alloc)
            {
                var stored = false;
                var value = OperationTree.WithConversions(alloc);
                switch (value.Parent)
                {
                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        var body = OperationTree.Root(alloc);
                        foreach (var reference in body.DescendantsAndSelf().OfType<ILocalReferenceOperation>())
                        {
                            if (!SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol))
                            {
                                continue;
                            }

                            switch (UseOfHandle(reference))
                            {
                                case HandleUse.Stored:
                                    stored = true;
                                    break;
                                case HandleUse.Escapes:
                                    return false;
                            }
                        }

                        break;
                    default:
                        stored = UseOfHandle(alloc) == HandleUse.Stored;
                        break;
                }

                return stored;
            }

            private enum HandleUse
            {
                Read,
                Stored,
                Escapes,
            }

            /// <summary>What a use of the GCHandle of <c>this</c> does with it.</summary>
            private HandleUse UseOfHandle(IOperation handle)
            {
                var value = OperationTree.WithConversions(handle);
                switch (value.Parent)
                {
                    case ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: IInstanceReferenceOperation } field } assignment when assignment.Value == value:
                        _ownFields.Add(field.Field.OriginalDefinition);
                        return HandleUse.Stored;
                    case IArgumentOperation { Parent: IInvocationOperation call } when IsGCHandleMethod(call, "ToIntPtr"):
                        _rootAsPointer = true;
                        return UseOfPointer(call);
                    case IConversionOperation { OperatorMethod: not null } conversion when HandleOwners.IsRawHandleType(conversion.Type):
                        _rootAsPointer = true;
                        return UseOfPointer(conversion);
                    // Its members ('IsAllocated', 'Target'); a Free is read with the others (it needs a release beside it).
                    case IInvocationOperation { Instance: { } instance } when instance == value:
                        return HandleUse.Read;
                    case IPropertyReferenceOperation { Instance: { } instance } when instance == value:
                        return HandleUse.Read;
                    case ISimpleAssignmentOperation { Target: var target } when target == value:
                        return HandleUse.Read;
                    default:
                        return HandleUse.Escapes;
                }
            }

            /// <summary>The GCHandle as an IntPtr: stored when it is written somewhere other than a local, or passed to a call.</summary>
            private static HandleUse UseOfPointer(IOperation pointer)
            {
                var value = OperationTree.WithConversions(pointer);
                return value.Parent switch
                {
                    ISimpleAssignmentOperation { Target: not ILocalReferenceOperation and not IDiscardOperation } assignment when assignment.Value == value => HandleUse.Stored,
                    IArgumentOperation => HandleUse.Stored,
                    _ => HandleUse.Escapes,
                };
            }

            /// <summary>
            /// Does every Free in <paramref name="type"/> that can free the GCHandle of <c>this</c> sit next to the release of
            /// the native memory it was kept in, and does no GCHandle read back from native memory go anywhere but a local?
            /// </summary>
            public bool FreesOnlyWithRelease(INamedTypeSymbol type)
            {
                foreach (var reference in type.DeclaringSyntaxReferences)
                {
                    if (reference.GetSyntax(_cancellationToken) is not TypeDeclarationSyntax declaration)
                    {
                        return false;
                    }

                    foreach (var member in declaration.Members)
                    {
                        // Nested classes are read as classes of their own when they derive from the owner's.
                        if (member is BaseTypeDeclarationSyntax || !(Names(member, "Free") || Names(member, "FromIntPtr")))
                        {
                            continue;
                        }

                        foreach (var node in member.DescendantNodes())
                        {
                            if (node is InvocationExpressionSyntax invocation && !ReadsWell(invocation))
                            {
                                return false;
                            }
                        }
                    }
                }

                return true;
            }

            private bool ReadsWell(InvocationExpressionSyntax invocation)
            {
                var name = invocation.Expression switch
                {
                    MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
                    SimpleNameSyntax simple => simple.Identifier.ValueText,
                    _ => null,
                };
                if (name != "Free" && name != "FromIntPtr")
                {
                    return true;
                }

                if (_owner.Bind(invocation, _cancellationToken) is not IInvocationOperation call)
                {
                    return true;
                }

                if (IsGCHandleMethod(call, "FromIntPtr"))
                {
                    return RootNeverAPointer() || !Escapes(call);
                }

                if (!IsGCHandleMethod(call, "Free") || call.Instance == null)
                {
                    return true;
                }

                var freed = FreedSource(OperationTree.SkipConversions(call.Instance));
                return freed == null || ReleasedBeside(call, freed.Value);
            }

            /// <summary>
            /// What the freed GCHandle may be the one of <c>this</c> through: the native memory its IntPtr was read from
            /// (the expression given to <c>FromIntPtr</c>), or one of the fields it was stored in (no expression); null when it
            /// certainly is another object's GCHandle (a field or local only ever given a GCHandle of something else, an
            /// element of a collection the GCHandle of <c>this</c> never enters). Anything unread is taken to be it, with
            /// nothing to tie a release to.
            /// </summary>
            private (IOperation? From, bool Known)? FreedSource(IOperation handle)
            {
                switch (handle)
                {
                    // A GCHandle read back from an IntPtr is another object's when the root never was one.
                    case IInvocationOperation call when IsGCHandleMethod(call, "FromIntPtr") && call.Arguments.Length == 1:
                        return RootNeverAPointer() ? null : (PointerOrigin(call.Arguments[0].Value), true);
                    case IConversionOperation { OperatorMethod: not null } conversion when HandleOwners.IsRawHandleType(conversion.Operand.Type):
                        return RootNeverAPointer() ? null : (PointerOrigin(conversion.Operand), true);
                    case IInvocationOperation call when IsGCHandleMethod(call, "Alloc"):
                        return IsRootingAlloc(call) ? (null, false) : null;
                    case IArrayElementReferenceOperation:
                    case IPropertyReferenceOperation { Arguments.IsEmpty: false }:
                        return null;
                    case IFieldReferenceOperation field:
                        if (_ownFields.Contains(field.Field.OriginalDefinition))
                        {
                            return (null, true);
                        }

                        return OnlyOtherObjects(field.Field) ? null : (null, false);
                    case ILocalReferenceOperation local:
                        if (LocalValues(handle, local.Local) is not { Count: > 0 } assignedValues)
                        {
                            return (null, false);
                        }

                        (IOperation? From, bool Known)? found = null;
                        foreach (var assigned in assignedValues)
                        {
                            var source = FreedSource(OperationTree.SkipConversions(assigned));
                            if (source != null)
                            {
                                if (found != null || !source.Value.Known)
                                {
                                    return (null, false);
                                }

                                found = source;
                            }
                        }

                        return found;
                    default:
                        return (null, false);
                }
            }

            /// <summary>
            /// The GCHandle of <c>this</c> never becomes an IntPtr, so no <c>GCHandle.FromIntPtr</c> (nor cast from an IntPtr) can
            /// return it: the constructors kept it only in private fields of the object, and every read of those fields in
            /// their class (nested classes included) is a member of the GCHandle (<c>Free()</c>, <c>IsAllocated</c>,
            /// <c>Target</c>) or a write of the field — no copy, argument, <c>ref</c>, address or conversion that could
            /// turn it into one.
            /// </summary>
            private bool RootNeverAPointer() => _rootNeverAPointer ??= !_rootAsPointer && _ownFields.Count > 0 && _ownFields.All(OnlyMembersOfFieldRead);

            private bool OnlyMembersOfFieldRead(IFieldSymbol field)
                => field.DeclaredAccessibility == Accessibility.Private && field.ContainingType is { } type
                   && FieldReferencesInType.Of(_owner._interop.Compilation, field, type, _cancellationToken)
                       .All(read => read.Instance is IInstanceReferenceOperation or null && IsMemberOrWrittenTo(read));

            /// <summary>The value an IntPtr local was given once (<c>IntPtr p = ((uv_handle_t*)handle)->data;</c>), or the expression itself.</summary>
            private static IOperation PointerOrigin(IOperation pointer)
            {
                var value = OperationTree.SkipConversions(pointer);
                return value is ILocalReferenceOperation local && LocalValues(value, local.Local) is { Count: 1 } values ? values[0] : value;
            }

            /// <summary>The values a local of the body is given; null when it is also written by reference.</summary>
            private static List<IOperation>? LocalValues(IOperation within, ILocalSymbol local)
            {
                var values = new List<IOperation>();
                foreach (var operation in OperationTree.Root(within).DescendantsAndSelf())
                {
                    switch (operation)
                    {
                        case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                            if (declarator.Initializer != null)
                            {
                                values.Add(declarator.Initializer.Value);
                            }

                            break;
                        case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when SymbolEqualityComparer.Default.Equals(target.Local, local):
                            values.Add(assignment.Value);
                            break;
                        case ILocalReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Local, local)
                                                                   && (reference.Parent is IArgumentOperation { Parameter.RefKind: not RefKind.None } or IAddressOfOperation):
                            return null;
                    }
                }

                return values;
            }

            /// <summary>
            /// A private GCHandle field every store of which, in its class, is a GCHandle of another object (<c>Alloc(array,
            /// Pinned)</c>, directly or through a local), or <c>default</c>.
            /// </summary>
            private bool OnlyOtherObjects(IFieldSymbol field)
            {
                field = field.OriginalDefinition;
                if (field.DeclaredAccessibility != Accessibility.Private || field.ContainingType == null)
                {
                    return false;
                }

                foreach (var reference in field.ContainingType.DeclaringSyntaxReferences)
                {
                    var declaration = reference.GetSyntax(_cancellationToken);
                    foreach (var node in declaration.DescendantNodes())
                    {
                        if (node is not AssignmentExpressionSyntax assignment || assignment.Left is not (IdentifierNameSyntax or MemberAccessExpressionSyntax)
                            || !Names(assignment.Left, field.Name))
                        {
                            continue;
                        }

                        if (_owner.Bind(assignment, _cancellationToken) is not ISimpleAssignmentOperation { Target: IFieldReferenceOperation target } store
                            || !SymbolEqualityComparer.Default.Equals(target.Field.OriginalDefinition, field))
                        {
                            continue;
                        }

                        var value = OperationTree.SkipConversions(store.Value);
                        if (value is ILocalReferenceOperation local && LocalValues(value, local.Local) is { Count: 1 } values)
                        {
                            value = OperationTree.SkipConversions(values[0]);
                        }

                        if (!(value is IDefaultValueOperation || (value is IInvocationOperation alloc && IsGCHandleMethod(alloc, "Alloc") && !IsRootingAlloc(alloc)
                                                                   && OperationTree.SkipConversions(alloc.Arguments[0].Value) is not IInstanceReferenceOperation)))
                        {
                            return false;
                        }
                    }
                }

                return true;
            }

            /// <summary>
            /// A GCHandle read back from native memory goes nowhere but a local used for its members, or straight to a
            /// member (<c>.Free()</c>, <c>.Target</c>): kept in a field or handed on, it could be freed out of sight.
            /// </summary>
            private bool Escapes(IInvocationOperation fromIntPtr)
            {
                var value = OperationTree.WithConversions(fromIntPtr);
                switch (value.Parent)
                {
                    case IInvocationOperation { Instance: { } instance } when instance == value:
                    case IPropertyReferenceOperation { Instance: { } instance2 } when instance2 == value:
                        return false;
                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        return !OnlyMembersRead(fromIntPtr, declarator.Symbol);
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target }:
                        return !OnlyMembersRead(fromIntPtr, target.Local);
                    default:
                        return true;
                }
            }

            private static bool OnlyMembersRead(IOperation within, ILocalSymbol local)
            {
                foreach (var reference in OperationTree.Root(within).DescendantsAndSelf().OfType<ILocalReferenceOperation>())
                {
                    if (!SymbolEqualityComparer.Default.Equals(reference.Local, local))
                    {
                        continue;
                    }

                    if (!IsMemberOrWrittenTo(OperationTree.WithConversions(reference)))
                    {
                        return false;
                    }
                }

                return true;
            }

            /// <summary>The value is the receiver of a member (<c>.Free()</c>, <c>.Target</c>) or the target of an assignment.</summary>
            private static bool IsMemberOrWrittenTo(IOperation value)
                => value.Parent switch
                {
                    IInvocationOperation { Instance: { } instance } => instance == value,
                    IPropertyReferenceOperation { Instance: { } instance } => instance == value,
                    ISimpleAssignmentOperation { Target: var target } => target == value,
                    _ => false,
                };

            /// <summary>
            /// Is the native memory released beside the Free — by a catalogued release (<c>Marshal.FreeHGlobal</c>, a
            /// wrapper forwarding to one), or for a root kept in a field by the release of the object's own handle
            /// (<see cref="ReleasesOwnHandle"/>), in a statement that certainly runs before it or after it in the same body? For a
            /// GCHandle read from native memory the release must be of what it was read from: the variable released is named
            /// in the read (<c>((uv_handle_t*)handle)->data</c>, then <c>FreeMemory(handle)</c>).
            /// </summary>
            private bool ReleasedBeside(IInvocationOperation free, (IOperation? From, bool Known) freed)
            {
                if (!freed.Known)
                {
                    return false;
                }

                IOperation child = free;
                for (var parent = free.Parent; parent != null && !OperationTree.IsFunction(parent); child = parent, parent = parent.Parent)
                {
                    if (parent is not IBlockOperation block)
                    {
                        continue;
                    }

                    var index = block.Operations.IndexOf(child);
                    for (var i = index - 1; i >= 0; i--)
                    {
                        if (Releases(block.Operations[i], freed.From))
                        {
                            return true;
                        }
                    }

                    for (var i = index + 1; i < block.Operations.Length; i++)
                    {
                        if (Releases(block.Operations[i], freed.From))
                        {
                            return true;
                        }

                        if (OperationTree.Any(block.Operations[i], o => o.Kind is OperationKind.Return or OperationKind.Throw or OperationKind.Branch or OperationKind.YieldBreak))
                        {
                            return false;
                        }
                    }
                }

                return false;
            }

            /// <summary>A statement that is a catalogued release of a raw handle (tied to <paramref name="from"/> when there is one).</summary>
            private bool Releases(IOperation statement, IOperation? from)
            {
                if (statement is not IExpressionStatementOperation { Operation: IInvocationOperation call })
                {
                    return false;
                }

                if (!_owner._interop.ForTree(call.Syntax.SyntaxTree).Catalogue.TryGetDeallocator(call.TargetMethod, out var deallocator))
                {
                    // A root kept in a field of the object may also end with the object's own handle.
                    return from == null && ReleasesOwnHandle(call);
                }

                var released = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == deallocator.PointerParameter);
                if (released == null || !HandleOwners.IsRawHandleType(released.Value.Type))
                {
                    return false;
                }

                if (from == null)
                {
                    return true;
                }

                var variable = OperationTree.SkipConversions(released.Value) switch
                {
                    ILocalReferenceOperation local => (ISymbol)local.Local,
                    IParameterReferenceOperation parameter => parameter.Parameter,
                    _ => null,
                };
                return variable != null && from.Syntax.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == variable.Name);
            }

            /// <summary>
            /// <c>curl_easy_cleanup(_pCurl)</c>: a P/Invoke given a raw-handle field of this object that is the release
            /// <see cref="HandleFunctionPairs"/> pairs with an acquire whose handle the class stores in that field
            /// (<c>_pCurl = curl_easy_init()</c>) — the end of the handle IG1001 asks about, as IG3007 names it.
            /// </summary>
            private bool ReleasesOwnHandle(IInvocationOperation call)
                => call.Arguments.Length == 1
                   && OperationTree.SkipConversions(call.Arguments[0].Value) is IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } field
                   && HandleFunctionPairs.IsRawHandle(field.Field.Type)
                   && PairedReleases(field.Field.OriginalDefinition).Contains(call.TargetMethod.OriginalDefinition);

            /// <summary>The release functions of the acquires whose handle the field's class stores in it (assigned, initialized or as an <c>out</c> argument).</summary>
            private HashSet<IMethodSymbol> PairedReleases(IFieldSymbol field)
            {
                if (_pairedReleases.TryGetValue(field, out var known))
                {
                    return known;
                }

                var releases = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
                _pairedReleases[field] = releases;
                foreach (var declarator in field.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellationToken)).OfType<VariableDeclaratorSyntax>())
                {
                    if (declarator.Initializer != null && _owner.Bind(declarator.Initializer, _cancellationToken) is IFieldInitializerOperation initializer
                        && _owner.PairsFor(declarator.SyntaxTree).ProducedBy(initializer.Value) is { } initialPair)
                    {
                        releases.Add(initialPair.Release.OriginalDefinition);
                    }
                }

                if (field.ContainingType is { } type)
                {
                    foreach (var reference in FieldReferencesInType.Of(_owner._interop.Compilation, field, type, _cancellationToken))
                    {
                        var pairs = _owner.PairsFor(reference.Syntax.SyntaxTree);
                        var pair = reference.Parent switch
                        {
                            ISimpleAssignmentOperation { Target: var target } store when target == reference => pairs.ProducedBy(store.Value),
                            IArgumentOperation { Parameter: { RefKind: RefKind.Out } parameter, Parent: IInvocationOperation call }
                                when pairs.Get(call.TargetMethod) is { } outPair && outPair.OutParameter == parameter.Ordinal => outPair,
                            _ => null,
                        };
                        if (pair != null)
                        {
                            releases.Add(pair.Release.OriginalDefinition);
                        }
                    }
                }

                return releases;
            }
        }
    }
}
